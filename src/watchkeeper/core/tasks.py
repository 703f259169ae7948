"""Periodic housekeeping jobs. This module is the one place where periodic jobs are registered;
the consumer imports every app's ``tasks`` module at start."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from watchkeeper.accounts.lockout import purge_expired
from watchkeeper.core.backup.archive import create_backup
from watchkeeper.core.backup.retention import prune
from watchkeeper.core.jobs import periodic

logger = logging.getLogger(__name__)


@periodic("17 3 * * *")
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@periodic("*/15 * * * *")
def purge_login_failures() -> int:
    return purge_expired()


@periodic("41 2 * * *")
def optimize_sqlite() -> bool:
    """SQLite's planner needs fresh statistics as tables grow (PostgreSQL's autovacuum gathers
    its own): ``PRAGMA optimize`` runs ANALYZE where it is worth it. Returns whether it ran."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")
    return True


def backup_with_retention() -> str:
    """Write an archive to ``BACKUP_DIR``, then keep only the newest ``BACKUP_KEEP`` ones; old
    archives go only after the new one is complete. Returns the new archive's path."""
    path = create_backup(settings.BACKUP_DIR)
    removed = prune(path.parent, settings.BACKUP_KEEP)
    logger.info("backup written: %s (%d old archive(s) removed)", path.name, len(removed))
    return str(path)


# WATCHKEEPER_BACKUP_SCHEDULE: a cron expression (UTC), or "off" for no scheduled backups.
if settings.BACKUP_SCHEDULE.lower() != "off":
    try:
        scheduled_backup = periodic(settings.BACKUP_SCHEDULE)(backup_with_retention)
    except ValueError as error:
        raise ImproperlyConfigured(f"WATCHKEEPER_BACKUP_SCHEDULE is not usable: {error}") from None
