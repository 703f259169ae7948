"""Benchmarks of the foundation's hot paths: ``make bench`` (or ``python -m bench [--postgres]``).

Each figure is the median of several runs in one process on one machine; the database is made
fresh for the run (SQLite under ``$WATCHKEEPER_DATA_DIR``, or the PostgreSQL database named by
``WATCHKEEPER_DATABASE_URL``). Results go to stdout as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

TICKETS = (
    Path(__file__).resolve().parents[2] / "shared/data/endava-it-tickets/all_tickets_first5431.csv"
)
RUNS = 5


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def setup_django(postgres: bool) -> None:
    data_dir = Path(os.environ.setdefault("WATCHKEEPER_DATA_DIR", "var/bench"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if not postgres:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
        for leftover in data_dir.glob("watchkeeper.sqlite3*"):
            leftover.unlink()
    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if postgres:
        call_command("flush", "--no-input", verbosity=0)
    call_command("migrate", verbosity=0)
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


def main() -> None:
    if sys.argv[1:2] == ["incidents"]:
        from bench.incidents import main as incidents_main

        incidents_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["sla"]:
        from bench.sla import main as sla_main

        sla_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["events"]:
        from bench.events import main as events_main

        events_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["problems"]:
        from bench.problems import main as problems_main

        problems_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["kpis"]:
        from bench.kpis import main as kpis_main

        kpis_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["cmdb"]:
        from bench.cmdb import main as cmdb_main

        cmdb_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="use WATCHKEEPER_DATABASE_URL")
    args = parser.parse_args()
    setup_django(args.postgres)
    from django.db import connection

    from bench.foundation import run_all

    print(f"database: {connection.vendor}; python {sys.version.split()[0]}; runs: {RUNS}")
    print("| benchmark | median |")
    print("|---|---|")
    for name, value in run_all(TICKETS, median_seconds):
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
