"""``watchkeeper backup``: write one archive of the database and the uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from watchkeeper.core.backup import ArchiveError
from watchkeeper.core.backup.archive import create_backup


class Command(BaseCommand):
    help = "Write one backup archive: a database snapshot, the uploaded files and a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="DIR",
            type=Path,
            help=f"directory to write the archive to (default {settings.BACKUP_DIR})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = create_backup(options["output"])
        except (ArchiveError, OSError, DatabaseError) as error:
            raise CommandError(f"Backup failed: {error}") from error
        size = path.stat().st_size
        self.stdout.write(f"Backup written: {path} ({size / 2**20:.1f} MB)")
