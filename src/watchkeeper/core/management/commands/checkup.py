"""``watchkeeper check``: configuration and connectivity, one line each; exit 1 on failure."""

from __future__ import annotations

import os
import smtplib
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.core.backup.retention import newest_archive
from watchkeeper.core.health import database_status, queue_status


def smtp_status() -> str:
    if not settings.EMAIL_HOST:
        return f"not configured (mail is written to {settings.EMAIL_FILE_PATH})"
    try:
        client_class = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
        with client_class(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=10) as client:
            client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return f"error: {error}"
    return "ok"


def data_dir_status() -> str:
    return "ok" if os.access(settings.DATA_DIR, os.W_OK) else "error: not writable"


def backup_status() -> str:
    """Whether backups can be written, and how old the newest one is (an error only when the
    directory cannot be written: a new installation has no backup yet)."""
    directory = Path(settings.BACKUP_DIR)
    existing = next(path for path in (directory, *directory.parents) if path.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        return f"error: {directory} is not writable"
    schedule = settings.BACKUP_SCHEDULE
    when = "scheduled backups off" if schedule.lower() == "off" else f"schedule {schedule}"
    newest = newest_archive(directory)
    if newest is None:
        return f"ok, no backup yet in {directory} ({when})"
    hours = (time.time() - newest.stat().st_mtime) / 3600
    return f"ok, newest {newest.name} is {hours:.0f} h old ({when})"


class Command(BaseCommand):
    help = "Check the configuration and the connections to the database, queue and mail server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deploy", action="store_true", help="also run Django's deploy checks")

    def handle(self, *args: Any, **options: Any) -> None:
        deploy = options["deploy"] or settings.PRODUCTION
        messages = checks.run_checks(include_deployment_checks=deploy)
        serious = [m for m in messages if m.level >= checks.ERROR]
        results = {
            "configuration": "ok" if not serious else f"error: {len(serious)} problem(s)",
            "database": database_status(),
            "queue": queue_status(),
            "mail": smtp_status(),
            "data directory": data_dir_status(),
            "backups": backup_status(),
        }
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"database engine: {engine}; queue: {settings.HUEY['huey_class']}")
        for message in messages:
            self.stdout.write(f"  {message}")
        for name, status in results.items():
            self.stdout.write(f"{name}: {status}")
        failed = [name for name, status in results.items() if status.startswith("error")]
        if failed:
            raise CommandError(f"check failed: {', '.join(failed)}")
