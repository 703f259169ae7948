"""SLA benchmarks (issue 4): ``python -m bench sla --open 100000 [--closed 200000]``.

Seeds open incidents (created over the last 30 days, each with its hash-chained history: new,
assigned, and for most work started or a hold for the caller) and closed ones into a fresh SQLite
database under ``var/bench/sla`` (``--postgres``: the database ``wk_bench_sla``), creates the
demo's calendars and definitions (office hours in Berlin with generated holidays, 24x7,
response and resolution SLAs, an OLA; loaded with the demo organisation), then measures:

- ``recompute``: every clock of the open incidents rebuilt from history (``watchkeeper sla
  recompute``), median of ``--runs``, in one process and in two (``--jobs 2``);
- ``sweep``: the per-minute job when nothing is due, with the closed incidents' clocks present
  (after one catch-up run that acts on their past breaches), then again with three times as
  many closed incidents: its cost does not grow with closed records.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"


def setup(postgres: bool) -> None:
    data = VAR / "sla"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["WATCHKEEPER_DATA_DIR"] = str(data)
    if postgres:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute('DROP DATABASE IF EXISTS "wk_bench_sla" WITH (FORCE)')
            c.execute('CREATE DATABASE "wk_bench_sla"')
        os.environ["WATCHKEEPER_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/wk_bench_sla"
    else:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
        for leftover in data.glob("*.sqlite3*"):
            leftover.unlink()
    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


def median(work: Any, runs: int) -> tuple[float, list[float]]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(round(time.perf_counter() - started, 5))
    return statistics.median(timings), timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench sla", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--open", type=int, default=100_000, help="open incidents")
    parser.add_argument("--closed", type=int, default=50_000, help="closed incidents, tripled")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)
    setup(args.postgres)
    from django.db import connection

    from bench.seed_incidents import seed
    from watchkeeper.incidents.models import Incident
    from watchkeeper.sla import definitions, service, thresholds
    from watchkeeper.sla.models import SlaClock

    result: dict[str, Any] = {"database": connection.vendor}
    seed(args.closed, closed_only=True)
    seed(args.closed + args.open, open_only=True)
    definitions.forget()  # the demo organisation brought the demo's service levels
    open_incidents = Incident.objects.open()
    result["open"] = open_incidents.count()

    def recompute() -> None:
        service.recompute(open_incidents)

    result["recompute_s"], result["recompute_runs"] = median(recompute, args.runs)

    def recompute_in_two() -> None:
        service.recompute_in_processes(open_incidents, 2)

    result["recompute_2_processes_s"], result["recompute_2_runs"] = median(
        recompute_in_two, args.runs
    )
    result["open_clocks"] = SlaClock.objects.count()
    print(json.dumps(result), flush=True)
    for round_ in (1, 2):
        closed = Incident.objects.exclude(state__in=["new", "in_progress", "on_hold"])
        service.recompute(closed.filter(slaclock_missing(closed)))
        catch_up()
        sweep, _runs = median(thresholds.fire_due, 7)
        result[f"closed_{round_}"] = closed.count()
        result[f"clocks_{round_}"] = SlaClock.objects.count()
        result[f"sweep_ms_{round_}"] = round(sweep * 1000, 2)
        if round_ == 1:
            seed(Incident.objects.count() + 2 * args.closed, closed_only=True)
    print(json.dumps(result))


def catch_up() -> None:
    """What the first sweeps would do to a backlog that never had one: mark every threshold
    reached so far as handled (in bulk, without the actions; not what is measured)."""
    from types import SimpleNamespace

    from django.utils import timezone

    from watchkeeper.core import bulk
    from watchkeeper.sla.models import SlaClock
    from watchkeeper.sla.service import next_event
    from watchkeeper.sla.timeline import parse_instant

    now = timezone.now()
    while rows := list(
        SlaClock.objects.due(now).values_list("pk", "marks", "status", "computed_at")[:5000]
    ):
        done = []
        for pk, marks, status, computed_at in rows:
            row = SimpleNamespace(id=pk, marks=marks, status=status, computed_at=computed_at)
            row.fired = [int(p) for p, at in marks.items() if parse_instant(at) <= now]
            row.next_event_at = next_event(row)
            done.append(row)
        bulk.update(SlaClock, ["fired", "next_event_at"], done)


def slaclock_missing(incidents: Any) -> Any:
    """Incidents that have no clock yet (a Q over ``incidents``' model)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Exists, OuterRef, Q

    from watchkeeper.sla.models import SlaClock

    content_type = ContentType.objects.get_for_model(incidents.model)
    clocks = SlaClock.objects.filter(content_type=content_type, object_id=OuterRef("pk"))
    return Q(~Exists(clocks))


if __name__ == "__main__":
    main()
