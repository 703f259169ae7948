"""``watchkeeper sla recompute [--all]``: rebuild SLA clocks from the records' history."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from watchkeeper.incidents.models import Incident
from watchkeeper.sla import service, thresholds


class Command(BaseCommand):
    help = "SLA clocks: recompute them from history, or act on the thresholds that are due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        recompute = sub.add_parser("recompute", help="recompute clocks from the history")
        recompute.add_argument(
            "--all", action="store_true", help="closed incidents too (default: open ones)"
        )
        recompute.add_argument(
            "--jobs", type=int, default=1, help="processes to share the work (one per core)"
        )
        sub.add_parser("fire", help="act on the warnings and breaches that are due now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "fire":
            self.stdout.write(f"Thresholds acted on: {thresholds.fire_due()}")
            return
        incidents = Incident.objects.all() if options["all"] else Incident.objects.open()
        started = time.perf_counter()
        written = service.recompute_in_processes(incidents, options["jobs"])
        seconds = time.perf_counter() - started
        self.stdout.write(f"Recomputed {written} clocks in {seconds:.1f} s.")
