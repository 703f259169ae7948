"""``watchkeeper audit verify``: recompute every history chain and name altered records;
``watchkeeper audit run [--check KEY]``: run the process audit checks (``audit.runner``)."""

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
        run = sub.add_parser("run", help="run the process audit checks")
        run.add_argument("--check", default="", help="only this check (its key)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "run":
            self._run(options["check"])
            return
        problems = verify_history()
        for problem in problems:
            self.stdout.write(f"ALTERED {problem.record}: {problem.reason}")
        if problems:
            raise CommandError(f"{len(problems)} record(s) have an altered history.")
        entries = HistoryEntry.objects.count()
        self.stdout.write(f"History intact: {entries} entries verified.")

    def _run(self, key: str) -> None:
        from watchkeeper.audit.checks import CHECKS
        from watchkeeper.audit.runner import run_all, run_check
        from watchkeeper.core.choices import Channel

        if key and key not in CHECKS:
            raise CommandError(f"No check {key!r}; the checks are: {', '.join(sorted(CHECKS))}.")
        runs = [run_check(key, channel=Channel.CLI)] if key else run_all(channel=Channel.CLI)
        for run in runs:
            if run.error:
                self.stdout.write(f"FAILED {run.check_key}: {run.error}")
            else:
                self.stdout.write(
                    f"{run.check_key}: {run.found} found, {run.opened} new, {run.closed} resolved"
                )
        if any(run.error for run in runs):
            raise CommandError(f"{sum(1 for run in runs if run.error)} check(s) failed.")
