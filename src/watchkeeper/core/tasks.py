"""Periodic housekeeping jobs. This module is the one place where periodic jobs are registered;
the consumer imports every app's ``tasks`` module at start."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from watchkeeper.accounts.lockout import purge_expired
from watchkeeper.core.jobs import periodic


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
