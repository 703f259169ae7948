"""Recurring-incident detection (issue 8): ``python -m bench problems [--runs 5]``.

Imports the whole UCI ServiceNow incident log (../shared/data/uci-incident-event-log, 24,918
incidents) into a fresh SQLite database under ``var/bench/problems``, then measures
``problems.detection.find`` — the hourly job — over the busiest 7-day window and over a 30-day
window ending there: each run starts with no candidates (so every group is written), median of
``--runs``. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared/data/uci-incident-event-log/incident_event_log.csv.zip"


def setup() -> None:
    data = ROOT / "var/bench/problems"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["WATCHKEEPER_DATA_DIR"] = str(data)
    os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    for leftover in data.glob("*.sqlite3*"):
        leftover.unlink()
    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def busiest_week_end() -> dt.datetime:
    """The end of the 7 days holding the most incidents (by day of opening)."""
    from collections import Counter

    from watchkeeper.incidents.models import Incident

    days = Counter(d.date() for d in Incident.objects.values_list("created_at", flat=True))
    first, last = min(days), max(days)
    best, best_end = -1, last
    day = first
    while day <= last:
        count = sum(days.get(day - dt.timedelta(days=k), 0) for k in range(7))
        if count > best:
            best, best_end = count, day
        day += dt.timedelta(days=1)
    return dt.datetime.combine(best_end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench problems")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    setup()
    from watchkeeper.incidents.importers.run import import_servicenow_incidents
    from watchkeeper.incidents.models import Incident
    from watchkeeper.problems import detection
    from watchkeeper.problems.models import ProblemCandidate

    started = time.perf_counter()
    import_servicenow_incidents(LOG)
    took = time.perf_counter() - started
    print(f"imported {Incident.objects.count():,} incidents in {took:.0f} s")
    end = busiest_week_end()
    print("| window | incidents | candidates | median s | runs (s) |")
    print("|---|---|---|---|---|")
    for days in (7, 30):
        start = end - dt.timedelta(days=days)
        seen = Incident.objects.filter(created_at__gte=start, created_at__lte=end).count()
        timings, found = [], 0
        for _ in range(args.runs):
            ProblemCandidate.objects.all().delete()
            began = time.perf_counter()
            found = len(detection.find(end, window_days=days))
            timings.append(time.perf_counter() - began)
        runs = ", ".join(f"{t:.2f}" for t in timings)
        print(f"| {days} days to {end:%Y-%m-%d} | {seen:,} | {found} | "
              f"{statistics.median(timings):.2f} | {runs} |")  # fmt: skip


if __name__ == "__main__":
    main()
