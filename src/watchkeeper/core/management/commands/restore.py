"""``watchkeeper restore ARCHIVE``: verify an archive, restore it, migrate, verify the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.core.backup import ArchiveError
from watchkeeper.core.backup.restore import RestoreFailed, RestoreResult, restore_archive


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured database and data directory, after "
        "checking it whole; then migrate and verify every history chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="a watchkeeper-backup-*.tar.gz file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database or files directory that already holds data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_archive(
                options["archive"], force=options["force"], say=self.stdout.write
            )
        except ArchiveError as error:
            reason = str(error).rstrip().rstrip(".")
            raise CommandError(f"Restore refused: {reason}. Nothing was changed.") from error
        except RestoreFailed as error:
            raise CommandError(f"Restore failed: {error}") from error
        self.report(result)

    def report(self, result: RestoreResult) -> None:
        applied = result.migrations_applied
        self.stdout.write(
            f"Migrations applied: {', '.join(applied)}" if applied else "Migrations: up to date."
        )
        self.stdout.write("audit verify:")
        for problem in result.history_problems:
            self.stdout.write(f"ALTERED {problem.record}: {problem.reason}")
        if result.history_problems:
            raise CommandError(
                f"Restored, but {len(result.history_problems)} record(s) have an altered "
                "history (listed above): do not put this restore into service before you know why."
            )
        self.stdout.write(f"History intact: {result.history_entries} entries verified.")
        self.stdout.write("Restore complete.")
