"""The incident KPI dashboard over a million incidents (issue 9):
``python -m bench kpis [--postgres] [--size 1000000] [--runs 5]``.

Seeds (or tops up) the benchmark database of ``bench/seed_incidents.py`` for ``--size``
(``var/bench/incidents-sqlite-<size>``, PostgreSQL ``wk_bench_incidents_<size>``: the same ones
``python -m bench incidents`` keeps), rebuilds the reporting facts and cubes once (timed), then
requests the dashboard page ``/reports/incidents/`` through Django's test client as an
administrator — the whole request: the facts' incremental refresh, every query, the SVG charts
and the template — for several filters, median of ``--runs``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
#: (what, query string): the dashboard's default, a year, all time, and all time for one service.
VIEWS = [
    ("last 30 days (the default)", ""),
    ("last 365 days", "period=365d"),
    ("all time", "period=all"),
    ("all time, one service", "period=all&service={service}"),
    ("all time, one group and priority 3", "period=all&group={group}&priority=3"),
]


def environment(postgres: bool, size: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATCHKEEPER_")}
    env["WATCHKEEPER_DATA_DIR"] = str(
        VAR / f"incidents-{'postgresql' if postgres else 'sqlite'}-{size}"
    )
    if postgres:
        env["WATCHKEEPER_DATABASE_URL"] = f"{PG_SERVER}/wk_bench_incidents_{size}"
    return env


def seed(env: dict[str, str], size: int, postgres: bool) -> None:
    Path(env["WATCHKEEPER_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    if postgres:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            name = f"wk_bench_incidents_{size}"
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    command = [sys.executable, "-m", "bench.seed_incidents", "--to", str(size)]
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"Seeded to {size:,} incidents in {time.perf_counter() - started:.0f} s.")


def measure(runs: int) -> list[tuple[str, float, int]]:
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    django.setup()
    from django.test import Client

    from watchkeeper.accounts.models import User
    from watchkeeper.reporting.facts import refresh_facts
    from watchkeeper.reporting.models import IncidentFact

    if "--rebuild" in sys.argv or not IncidentFact.objects.exists():
        started = time.perf_counter()
        refresh_facts(full=True)
        seconds = time.perf_counter() - started
        print(f"Facts and cubes rebuilt (watchkeeper reporting refresh --full) in {seconds:.0f} s.")
    print(f"{IncidentFact.objects.count():,} incident facts.")
    busiest = IncidentFact.objects.values_list("service_id", "group_id")
    service = busiest.exclude(service_id=None).first()
    values = {"service": service[0] if service else "", "group": service[1] if service else ""}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.filter(is_superuser=True).first() or User.objects.first())
    results = []
    for name, query in VIEWS:
        url = "/reports/incidents/?" + query.format(**values)
        timings, status = [], 0
        for _ in range(runs + 1):  # the first request warms the caches and is not counted
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
            status = response.status_code
            if status != 200:
                raise SystemExit(f"{url} answered {status}")
        results.append((name, statistics.median(timings[1:]), status))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the facts even if present")
    args = parser.parse_args(argv)
    env = environment(args.postgres, args.size)
    if not args.no_seed:
        seed(env, args.size, args.postgres)
    os.environ.update(env)
    if not args.postgres:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    database = "PostgreSQL" if args.postgres else "SQLite"
    results = measure(args.runs)
    print(f"\n#### {database}, {args.size:,} incidents, median of {args.runs}\n")
    print("| dashboard | median | status |")
    print("|---|---|---|")
    for name, seconds, status in results:
        print(f"| {name} | {seconds * 1000:.0f} ms | {status} |")
