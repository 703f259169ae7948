"""``watchkeeper reporting refresh [--full]``: bring the incident facts and cubes up to date."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from watchkeeper.reporting.facts import refresh_facts


class Command(BaseCommand):
    help = "Reporting: refresh the incident facts the KPIs read (docs/kpis.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="refresh the facts of changed incidents")
        refresh.add_argument("--full", action="store_true", help="rebuild every fact and cube")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count = refresh_facts(full=options["full"])
        self.stdout.write(
            f"{count:,} incident facts refreshed in {time.monotonic() - started:.1f} s."
        )
