"""Incident benchmarks over HTTP (issue 3): ``python -m bench incidents --sizes 10000,100000``.

For each database (SQLite; PostgreSQL with ``--postgres``) and each size, in increasing order:
seed the incidents into that size's own database (bench/seed_incidents.py; with ``--keep`` an
earlier run's seed is reused and only topped up), start
``watchkeeper serve --no-worker`` (gunicorn gthread, ``--workers 2 --threads 4``) on a free
loopback port, and measure over HTTP with bench/http_load.py: API create throughput at
concurrency 8 (median of ``--runs`` runs of ``--seconds`` each), list page 1 and the deep page
(page 1,000 of 25, or the last page when there are fewer) by offset and by cursor, text search,
the agent's record page and the API read. With ``--helpdesk`` django-helpdesk 2.6 (its own
virtualenv under var/bench, project in bench/helpdesk/) is seeded to the same size on the same
database server, served by gunicorn with the same settings and measured the same way.

Results: a Markdown table on stdout and every figure in var/bench/incidents-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import http_load
from bench.http_load import Latency, Target

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"
HELPDESK_VENV = VAR / "helpdesk-venv"
HELPDESK_VERSION = "2.6.1"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PAGE = 25
DEEP_PAGE = 1000
QUERIES = ["password reset", "laptop", "access folder", "printer", "vpn connect", "outlook"]
SERVER_FLAGS = ["--workers", "2", "--threads", "4"]
GUNICORN_FLAGS = [
    *SERVER_FLAGS,
    "--worker-class",
    "gthread",
    "--access-logfile",
    "-",
    "--graceful-timeout",
    "10",
    "--no-control-socket",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_for_quiet(limit: float, max_minutes: float) -> float:
    """Wait until the 1-minute load is under ``limit`` (at most ``max_minutes``); return it."""
    deadline = time.monotonic() + max_minutes * 60
    while (load := load_average()) >= limit and time.monotonic() < deadline:
        log(f"load {load:.2f} >= {limit}; waiting")
        time.sleep(20)
    return load


def run_json(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run a seeding command; its last stdout line is JSON."""
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prepare_postgres(name: str, *, empty: bool) -> None:
    """Create the database ``name``; drop it first when ``empty``, else keep it if it exists."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if empty:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path, health: str) -> Iterator[int]:
    """Start a server on a free loopback port (``{port}`` in ``command``); stop it after."""
    port = http_load.free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    logfile = (VAR / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        http_load.wait_until_up(Target("127.0.0.1", port), health)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        logfile.close()


def latency_row(name: str, result: Latency) -> dict[str, Any]:
    return {
        "measure": name,
        "p50_ms": round(result.p50_ms, 1),
        "p99_ms": round(result.p99_ms, 1),
        "samples": len(result.samples),
    }


def create_rows(
    target: Target, make: Callable[[int], http_load.Request], args: argparse.Namespace
) -> dict[str, Any]:
    runs = [
        http_load.throughput(target, make, concurrency=8, seconds=args.seconds)
        for _ in range(args.runs)
    ]
    return {
        "measure": "create, concurrency 8",
        "requests_per_s": round(http_load.median_throughput(runs), 1),
        "runs": [round(run.requests_per_second, 1) for run in runs],
    }


def measure_watchkeeper(port: int, seed: dict[str, Any], args: argparse.Namespace) -> list[dict]:
    api = Target("127.0.0.1", port, {"Authorization": f"Bearer {seed['token']}"})
    web = Target("127.0.0.1", port, {"Cookie": f"sessionid={seed['session']}"})
    size, samples = seed["incidents"], args.samples
    deep = min(DEEP_PAGE, max(1, size // PAGE))
    listing = f"/api/v1/incidents?limit={PAGE}"
    rows = [
        latency_row(
            "list page 1", http_load.latencies(api, [("GET", listing, None)], samples=samples)
        )
    ]
    offset_path = f"{listing}&offset={(deep - 1) * PAGE}"
    rows.append(
        latency_row(
            f"list page {deep:,} (offset)",
            http_load.latencies(api, [("GET", offset_path, None)], samples=samples),
        )
    )
    conn = api.connect()
    _, _status, body = http_load.send(
        api, conn, ("GET", f"{listing}&offset={(deep - 2) * PAGE}", None)
    )
    conn.close()
    cursor = json.loads(body)["next_cursor"] if deep > 1 else None
    cursor_path = f"{listing}&cursor={quote(cursor)}" if cursor else listing
    rows.append(
        latency_row(
            f"list page {deep:,} (cursor)",
            http_load.latencies(api, [("GET", cursor_path, None)], samples=samples),
        )
    )
    searches = [("GET", f"{listing}&q={quote(q)}", None) for q in QUERIES]
    rows.append(latency_row("text search", http_load.latencies(api, searches, samples=samples)))
    numbers = seed["numbers"]
    records = [("GET", f"/desk/incidents/{n}/", None) for n in numbers]
    rows.append(
        latency_row("record page (agent, HTML)", http_load.latencies(web, records, samples=samples))
    )
    reads = [("GET", f"/api/v1/incidents/{n}", None) for n in numbers]
    rows.append(latency_row("API read one", http_load.latencies(api, reads, samples=samples)))
    callers, categories = seed["callers"], seed["categories"]

    def create(n: int) -> http_load.Request:
        category, subcategory = categories[n % len(categories)]
        body = {
            "short_description": f"Bench incident {n}: laptop does not start",
            "description": "Since this morning the laptop shows a black screen after the logo.",
            "caller": callers[n % len(callers)],
            "channel": "phone",
            "urgency": 2,
            "impact": 3,
            "category": category,
            "subcategory": subcategory,
        }
        return ("POST", "/api/v1/incidents", json.dumps(body).encode())

    rows.append(create_rows(api, create, args))
    return rows


def measure_helpdesk(port: int, seed: dict[str, Any], args: argparse.Namespace) -> list[dict]:
    api = Target("127.0.0.1", port, {"Authorization": f"Token {seed['token']}"})
    size = seed["tickets"]
    deep = min(DEEP_PAGE, max(1, size // PAGE))
    budget = args.helpdesk_budget
    if args.only == "helpdesk-create":
        rows = []
    else:
        rows = [
            latency_row(
                "list page 1",
                http_load.latencies(
                    api,
                    [("GET", "/api/tickets/?page=1", None)],
                    samples=args.samples,
                    budget_seconds=budget,
                    warmup=0,
                    min_samples=1,
                ),
            ),
            latency_row(
                f"list page {deep:,} (offset)",
                http_load.latencies(
                    api,
                    [("GET", f"/api/tickets/?page={deep}", None)],
                    samples=args.samples,
                    budget_seconds=budget,
                    warmup=0,
                    min_samples=1,
                ),
            ),
        ]
    queues = seed["queues"]

    def create(n: int) -> http_load.Request:
        body = {
            "queue": queues[n % len(queues)],
            "title": f"Bench ticket {n}: laptop does not start",
            "description": "Since this morning the laptop shows a black screen after the logo.",
            "submitter_email": f"caller{n % 300:03d}@example.org",
            "priority": 3,
        }
        return ("POST", "/api/tickets/", json.dumps(body).encode())

    rows.append(create_rows(api, create, args))
    return rows


def watchkeeper_env(database: str, size: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATCHKEEPER_")}
    env["WATCHKEEPER_DATA_DIR"] = str(VAR / f"incidents-{database}-{size}")
    if database == "postgresql":
        env["WATCHKEEPER_DATABASE_URL"] = f"{PG_SERVER}/wk_bench_incidents_{size}"
    return env


def helpdesk_env(database: str, size: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPDESK_")}
    env.update(
        HELPDESK_BENCH_DIR=str(VAR / f"helpdesk-{database}-{size}"),
        DJANGO_SETTINGS_MODULE="settings",
    )
    if database == "postgresql":
        env["HELPDESK_BENCH_PG"] = f"wk_bench_helpdesk_{size}"
    return env


def prepare(database: str, size: int, helpdesk: bool, *, empty: bool) -> None:
    """This size's databases, emptied when ``empty`` (each size has its own, so a 1M seed can be
    kept for the next run)."""
    for directory in (VAR / f"incidents-{database}-{size}", VAR / f"helpdesk-{database}-{size}"):
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in [*directory.glob("*.sqlite3*")] if empty else []:
            leftover.unlink()
    if database == "postgresql":
        prepare_postgres(f"wk_bench_incidents_{size}", empty=empty)
        if helpdesk:
            prepare_postgres(f"wk_bench_helpdesk_{size}", empty=empty)


def ensure_helpdesk() -> Path:
    python = HELPDESK_VENV / "bin/python"
    if not python.exists():
        log(f"installing django-helpdesk {HELPDESK_VERSION} into {HELPDESK_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(HELPDESK_VENV)], check=True)
        packages = [f"django-helpdesk=={HELPDESK_VERSION}", "gunicorn", "psycopg[binary]"]
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return python


def bench_size(database: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"database": database, "size": size}
    prepare(database, size, args.helpdesk, empty=not args.keep)
    env = watchkeeper_env(database, size)
    log(f"{database}: seeding Watchkeeper to {size:,} incidents")
    seed = run_json([sys.executable, "-m", "bench.seed_incidents", "--to", str(size)], env)
    result["seed"] = {
        key: seed[key] for key in ("incidents", "added", "seconds", "history_entries_added")
    }
    log(f"{database}: seeded in {seed['seconds']} s; load {load_average():.2f}")
    result["load_before"] = wait_for_quiet(args.max_load, args.wait_minutes)
    command = [
        str(ROOT / ".venv/bin/watchkeeper"),
        "serve",
        "--no-worker",
        "--bind",
        "127.0.0.1:{port}",
        *SERVER_FLAGS,
    ]
    if args.only != "helpdesk-create":
        with serving(command, env, ROOT, "/healthz") as port:
            result["watchkeeper"] = measure_watchkeeper(port, seed, args)
        log(f"{database}: Watchkeeper measured; load {load_average():.2f}")
    if args.helpdesk:
        python = ensure_helpdesk()
        hd_env = helpdesk_env(database, size)
        log(f"{database}: seeding django-helpdesk to {size:,} tickets")
        hd_seed = run_json(
            [str(python), "seed.py", "--to", str(size), "--tickets", str(TICKETS)],
            hd_env,
            cwd=ROOT / "bench/helpdesk",
        )
        result["helpdesk_seed"] = {key: hd_seed[key] for key in ("tickets", "seconds")}
        result["helpdesk_load_before"] = wait_for_quiet(args.max_load, args.wait_minutes)
        command = [
            str(python),
            "-m",
            "gunicorn",
            "wsgi:application",
            "--bind",
            "127.0.0.1:{port}",
            *GUNICORN_FLAGS,
        ]
        with serving(command, hd_env, ROOT / "bench/helpdesk", "/api/") as port:
            result["helpdesk"] = measure_helpdesk(port, hd_seed, args)
        log(f"{database}: django-helpdesk measured; load {load_average():.2f}")
    result["load_after"] = load_average()
    return result


def report(result: dict[str, Any]) -> str:
    def cell(row: dict[str, Any] | None) -> str:
        if row is None:
            return "-"
        if "requests_per_s" in row:
            runs = ", ".join(f"{value:g}" for value in row["runs"])
            return f"**{row['requests_per_s']:g} req/s** ({runs})"
        return f"{row['p50_ms']:g} / {row['p99_ms']:g} ms (n={row['samples']})"

    helpdesk = {row["measure"]: row for row in result.get("helpdesk", [])}
    seed = result["seed"]
    lines = [
        f"#### {result['database']}, {result['size']:,} incidents",
        f"Seeded (top-up of {seed['added']:,} incidents, {seed['history_entries_added']:,} "
        f"history entries) in {seed['seconds']} s; load before {result['load_before']:.2f}, "
        f"after {result['load_after']:.2f}.",
        "",
        "| measure | Watchkeeper p50 / p99 | django-helpdesk p50 / p99 |",
        "|---|---|---|",
    ]
    ours = result.get("watchkeeper") or [{"measure": name} for name in helpdesk]
    for row in ours:
        mine = cell(row) if "samples" in row or "runs" in row else "-"
        lines.append(f"| {row['measure']} | {mine} | {cell(helpdesk.get(row['measure']))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench incidents", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes", default="10000", help="comma-separated, e.g. 10000,100000,1000000"
    )
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (local server)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--helpdesk", action="store_true", help="compare with django-helpdesk 2.6")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse the databases seeded for each size by an earlier run (top up only)",
    )
    parser.add_argument(
        "--only",
        choices=["all", "helpdesk-create"],
        default="all",
        help="helpdesk-create: measure only django-helpdesk's create throughput (a re-run)",
    )
    parser.add_argument("--runs", type=int, default=3, help="create-throughput runs (median)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one create run")
    parser.add_argument("--samples", type=int, default=300, help="requests per latency figure")
    parser.add_argument(
        "--helpdesk-budget", type=float, default=60.0, help="seconds per helpdesk list figure"
    )
    parser.add_argument(
        "--max-load", type=float, default=0.8, help="wait for a 1-min load below this"
    )
    parser.add_argument("--wait-minutes", type=float, default=0.0, help="how long to wait for it")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    databases = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    VAR.mkdir(parents=True, exist_ok=True)
    results_file = VAR / "incidents-results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    for database in databases:
        for size in sizes:
            result = bench_size(database, size, args)
            result["at"] = time.strftime("%Y-%m-%d %H:%M:%S")
            results.append(result)
            results_file.write_text(json.dumps(results, indent=1))
            print(report(result), flush=True)
            print(flush=True)


TICKETS = ROOT.parent / "shared/data/endava-it-tickets/all_tickets_first5431.csv"
