"""CMDB benchmarks (issue 5): ``python -m bench cmdb [--postgres] [--runs 3]``.

On a fresh database (SQLite under ``var/bench/cmdb``; ``--postgres``: the database
``wk_bench_cmdb``), with ``watchkeeper serve --no-worker`` (gunicorn gthread, 2 workers x 4
threads) on a free loopback port:

- **discovery**: an inventory of ``--inventory`` CIs (10,000: switches, physical hosts, virtual
  servers) with about as many relations is POSTed to ``/api/v1/cmdb/discovery``: the first run
  creates everything, the second sends the same inventory again (nothing changes). Each run
  starts from an empty CMDB; the median of ``--runs`` runs.
- **impact**: a CMDB of 100,000 CIs and about 500,000 relations is seeded in bulk
  (bench/seed_cmdb.py), then ``cmdb.impact.analyse(ci)`` is timed in-process for
  ``--samples`` virtual servers, databases and all core switches (p50 / p99), and the same
  through ``GET /api/v1/cmdb/cis/{number}/impact``.

Results: a Markdown table on stdout and every figure in var/bench/cmdb-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench import http_load
from bench.http_load import Target, percentile
from bench.incidents import load_average, log, serving
from bench.seed_cmdb import inventory, seed_graph

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "wk_bench_cmdb"
SERVER_FLAGS = ["--workers", "2", "--threads", "4"]


def setup(postgres: bool) -> dict[str, str]:
    """A fresh database, migrated in this process; the environment for the server."""
    data = VAR / "cmdb"
    data.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATCHKEEPER_")}
    env["WATCHKEEPER_DATA_DIR"] = str(data)
    if postgres:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        env["WATCHKEEPER_DATABASE_URL"] = f"{PG_SERVER}/{DATABASE}"
    else:
        for leftover in data.glob("*.sqlite3*"):
            leftover.unlink()
    if not postgres:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def make_token() -> str:
    from watchkeeper.accounts import actions
    from watchkeeper.accounts.choices import Role

    user = actions.create_user(
        username="inventory", roles=[Role.SERVICE_OWNER], acting_user=None, password=None
    )
    _, secret = actions.create_token(user, name="bench", scope="write", acting_user=None)
    return str(secret)


def empty_cmdb() -> None:
    """Delete every item with its relations, history and search text (bench only: plain SQL)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from watchkeeper.cmdb.models import ConfigurationItem, Relation

    content_type = ContentType.objects.get_for_model(ConfigurationItem).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Relation._meta.db_table}")  # noqa: S608 (model names)
        for table in ("core_historyentry", "core_searchentry"):
            cursor.execute(f"DELETE FROM {table} WHERE content_type_id = %s", [content_type])  # noqa: S608
        cursor.execute(f"DELETE FROM {ConfigurationItem._meta.db_table}")  # noqa: S608


def analyze() -> None:
    """PostgreSQL: gather the planner's statistics now, as autovacuum would shortly after a
    bulk load (without them the first walks are planned blind)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def discover(target: Target, body: bytes) -> tuple[float, dict[str, Any]]:
    conn = target.connect()
    start = time.perf_counter()
    _conn, status, answer = http_load.send(target, conn, ("POST", "/api/v1/cmdb/discovery", body))
    seconds = time.perf_counter() - start
    conn.close()
    if status != 200:
        raise RuntimeError(f"discovery answered {status}: {answer[:500]!r}")
    return seconds, json.loads(answer)


def measure_discovery(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    document = inventory(args.inventory)
    body = json.dumps(document).encode()
    first, second, counts = [], [], []
    for run in range(args.runs):
        empty_cmdb()
        seconds, answer = discover(target, body)
        first.append(round(seconds, 2))
        seconds, again = discover(target, body)
        second.append(round(seconds, 2))
        counts.append((answer, again))
        log(f"discovery run {run + 1}: {first[-1]} s, again {second[-1]} s")
    created, unchanged = counts[-1]
    assert created["created"] == args.inventory and unchanged["unchanged"] == args.inventory
    return {
        "items": len(document["items"]),
        "relations": len(document["relations"]),
        "body_mb": round(len(body) / 1024 / 1024, 1),
        "first_s": sorted(first)[len(first) // 2],
        "first_runs": first,
        "second_s": sorted(second)[len(second) // 2],
        "second_runs": second,
        "answers": counts[-1],
    }


def samples_of(graph: Any, samples: int) -> dict[str, list[int]]:
    """Typical items: virtual servers that run an application, physical hosts, databases; and
    every core switch (the largest fan-out)."""
    rng = random.Random(11)  # noqa: S311 (not for security)
    apps = set(graph.ids["app"])
    running = sorted({t for s, kind, t in graph.relations if kind == "runs_on" and s in apps})
    return {
        "virtual server running an application": rng.sample(running, samples),
        "physical host": rng.sample(graph.ids["host"], samples),
        "database": rng.sample(graph.ids["db"], samples),
        "core switch": list(graph.ids["core"]),
    }


def measure_graph_load(runs: int = 3) -> dict[str, Any]:
    """Loading the relation graph into memory: what the first walk after a change pays."""
    from watchkeeper.cmdb import graph_cache

    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        graph_cache.load()
        timings.append(time.perf_counter() - start)
    row = {
        "measure": "loading the graph into memory (once per process after each change)",
        "p50_ms": round(percentile(timings, 0.5) * 1000, 1),
        "p99_ms": round(max(timings) * 1000, 1),
        "samples": runs,
    }
    log(f"{row}")
    return row


def measure_impact(kinds: dict[str, list[int]], repeat_core: int) -> list[dict[str, Any]]:
    """``analyse`` and the count by class per item, in this process (the item is read first,
    outside the timing), over the graph in memory (loaded before: ``measure_graph_load``)."""
    from watchkeeper.cmdb.impact import analyse
    from watchkeeper.cmdb.models import ConfigurationItem

    rows = [measure_graph_load()]
    for kind, ids in kinds.items():
        items = list(ConfigurationItem.objects.filter(pk__in=ids))
        analyse(items[0])  # warm up
        timings, reached = [], []
        for item in items * (repeat_core if kind == "core switch" else 1):
            start = time.perf_counter()
            result = analyse(item)
            result.count_by_class()
            timings.append(time.perf_counter() - start)
            reached.append(result.count)
        rows.append(
            {
                "measure": f"impact of a {kind}, in-process",
                "p50_ms": round(percentile(timings, 0.5) * 1000, 1),
                "p99_ms": round(percentile(timings, 0.99) * 1000, 1),
                "samples": len(timings),
                "affected_median": int(percentile([float(n) for n in reached], 0.5)),
            }
        )
        log(f"{rows[-1]}")
    return rows


def measure_impact_api(target: Target, kinds: dict[str, list[int]]) -> list[dict[str, Any]]:
    from watchkeeper.cmdb.models import ConfigurationItem

    rows = []
    for kind, ids in kinds.items():
        numbers = ConfigurationItem.objects.filter(pk__in=ids).values_list("number", flat=True)
        requests: list[http_load.Request] = [
            ("GET", f"/api/v1/cmdb/cis/{number}/impact", None) for number in numbers
        ]
        result = http_load.latencies(
            target, requests, samples=max(len(requests), 30), budget_seconds=120, warmup=1
        )
        rows.append(
            {
                "measure": f"impact of a {kind}, GET /api/v1/cmdb/cis/{{number}}/impact",
                "p50_ms": round(result.p50_ms, 1),
                "p99_ms": round(result.p99_ms, 1),
                "samples": len(result.samples),
            }
        )
        log(f"{rows[-1]}")
    return rows


def bench(args: argparse.Namespace) -> dict[str, Any]:
    env = setup(args.postgres)
    from django.db import connection

    result: dict[str, Any] = {"database": connection.vendor, "load_before": load_average()}
    token = make_token()
    command = [str(ROOT / ".venv/bin/watchkeeper"), "serve", "--no-worker"]
    command += ["--bind", "127.0.0.1:{port}", *SERVER_FLAGS]
    with serving(command, env, ROOT, "/healthz") as port:
        target = Target("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
        result["discovery"] = measure_discovery(target, args)
        empty_cmdb()
        started = time.perf_counter()
        graph = seed_graph()
        analyze()
        result["seed"] = {
            "cis": sum(len(ids) for ids in graph.ids.values()),
            "relations": len(graph.relations),
            "seconds": round(time.perf_counter() - started, 1),
        }
        log(f"seeded {result['seed']}")
        kinds = samples_of(graph, args.samples)
        result["impact"] = measure_impact(kinds, args.repeat_core)
        result["impact"] += measure_impact_api(target, kinds)
    result["load_after"] = load_average()
    return result


def report(result: dict[str, Any]) -> str:
    found, seed = result["discovery"], result["seed"]
    lines = [
        f"#### {result['database']}",
        f"Inventory: {found['items']:,} CIs and {found['relations']:,} relations "
        f"({found['body_mb']} MB of JSON); impact: {seed['cis']:,} CIs and "
        f"{seed['relations']:,} relations, seeded in {seed['seconds']} s. "
        f"Load {result['load_before']:.2f} before, {result['load_after']:.2f} after.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| discovery of {found['items']:,} CIs over HTTP, first run (creates) | "
        f"**{found['first_s']} s** (runs: {', '.join(map(str, found['first_runs']))}) |",
        f"| discovery, same inventory again (unchanged) | "
        f"**{found['second_s']} s** (runs: {', '.join(map(str, found['second_runs']))}) |",
    ]
    for row in result["impact"]:
        affected = (
            f", {row['affected_median']:,} items affected" if "affected_median" in row else ""
        )
        lines.append(
            f"| {row['measure']} | p50 **{row['p50_ms']:g} ms** / p99 {row['p99_ms']:g} ms "
            f"(n={row['samples']}{affected}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench cmdb", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (local server)")
    parser.add_argument("--runs", type=int, default=3, help="discovery runs (median)")
    parser.add_argument("--inventory", type=int, default=10_000, help="CIs per inventory")
    parser.add_argument("--samples", type=int, default=200, help="servers and databases timed")
    parser.add_argument("--repeat-core", type=int, default=3, help="times each core switch")
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    result = bench(args)
    results_file = VAR / "cmdb-results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    results.append(
        {"at": time.strftime("%Y-%m-%d %H:%M"), "python": sys.version.split()[0], **result}
    )
    results_file.write_text(json.dumps(results, indent=1, default=str))
    print(report(result))
