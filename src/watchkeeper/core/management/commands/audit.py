"""``watchkeeper audit verify``: recompute every history chain and name altered records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.core.history import verify_history
from watchkeeper.core.models import HistoryEntry


class Command(BaseCommand):
    help = "Verify the tamper-evident history of every record."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="recompute the hash chains")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_history()
        for problem in problems:
            self.stdout.write(f"ALTERED {problem.record}: {problem.reason}")
        if problems:
            raise CommandError(f"{len(problems)} record(s) have an altered history.")
        entries = HistoryEntry.objects.count()
        self.stdout.write(f"History intact: {entries} entries verified.")
