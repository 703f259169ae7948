"""Event ingestion benchmarks (issue 6): ``python -m bench events [--postgres]``.

On a fresh database (SQLite under ``var/bench/events``; ``--postgres``: the database
``wk_bench_events`` on the local server), ``watchkeeper serve --no-worker`` (gunicorn gthread,
2 workers x 4 threads) and Alerta 9.1 (bench/alerta_setup.py: its own virtualenv and database
``alerta_bench`` on the local PostgreSQL, gunicorn with the same flags) are started on free
loopback ports. Each run, in turn:

- **Watchkeeper, one event per request**: ``--events`` events (5,000) over ``--keys`` keys (500:
  resource ``host-<n>`` x check ``cpu|disk|...``; mixed severities, some ``ok``; each with a
  unique id) POSTed to ``/api/v1/events`` by ``--concurrency`` threads (8), each with its own
  keep-alive connection, to a new source (so new alerts);
- **Alerta, the same events** to ``POST /alert`` (environment ``Production``, event = check), its
  alerts deleted first;
- **Watchkeeper, batches**: ``--batch-events`` events (100,000) in batches of ``--batch-size``
  (1,000) by ``--batch-concurrency`` threads (2), to a new source.

Measured: accepted events per second (accepted / wall time of the whole send); processed events
per second (stored / time from the first send until every accepted event is stored: Watchkeeper
answers 202 once an event is in its spool, and its event processor makes the alerts after;
Alerta answers after its work), request latency
p50 / p99, 5xx answers, lost events (sent - stored: Watchkeeper's event rows of the source;
Alerta's distinct event ids among its alerts' tags), alert rows, and CPU seconds per
event of the server's process tree (``/proc/<pid>/stat``: user + system, with reaped children)
and of the PostgreSQL server's (all its backends, so other clients of a shared server count
too). Each figure is the median of ``--runs`` runs; 5xx and lost are the worst run.

Results: a Markdown table on stdout and every figure in var/bench/events-results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import alerta_setup, http_load
from bench.http_load import Target, percentile
from bench.incidents import PG_SERVER, SERVER_FLAGS, load_average, log

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"
DATABASE = "wk_bench_events"
CHECKS = ("cpu", "disk", "memory", "load", "swap", "ping", "http", "ntp", "raid", "backup")
#: Severity and weight: mostly problems, some clearing ``ok``.
SEVERITIES = {"critical": 1, "major": 2, "minor": 2, "warning": 3, "info": 1, "ok": 2}
ALERTA_SEVERITY = {"info": "informational"}
TICKS = os.sysconf("SC_CLK_TCK")
RETRIES_429 = 5
STALL_SECONDS = 30


# --- the workload -------------------------------------------------------------------------


def workload(count: int, keys: int, tag: str, seed: int = 6) -> list[dict[str, Any]]:
    """``count`` events over ``keys`` keys (every key at least once when count >= keys), in time
    order one millisecond apart, each with the unique id ``<tag>-<n>``."""
    rng = random.Random(seed)  # noqa: S311 (not for security)
    names, weights = list(SEVERITIES), list(SEVERITIES.values())
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    events = []
    for number in range(count):
        key = number if number < keys else rng.randrange(keys)
        check = CHECKS[key % len(CHECKS)]
        resource = f"host-{key // len(CHECKS):04d}"
        value = rng.randrange(100)
        events.append(
            {
                "resource": resource,
                "check": check,
                "severity": rng.choices(names, weights)[0],
                "message": f"{check} on {resource}: {value}",
                "value": value,
                "time": start + dt.timedelta(milliseconds=number),
                "id": f"{tag}-{number}",
            }
        )
    return events


def watchkeeper_event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": event["resource"],
        "check": event["check"],
        "severity": event["severity"],
        "message": event["message"],
        "labels": {"environment": "production", "service": "bench"},
        "time": event["time"].isoformat(),
        "id": event["id"],
    }


def alerta_alert(event: dict[str, Any]) -> dict[str, Any]:
    """Alerta's body for the event. Its de-duplication key is environment-resource-event; the
    event's id goes in the tags (added to the alert's), to count what was stored."""
    return {
        "resource": event["resource"],
        "event": event["check"],
        "environment": "Production",
        "severity": ALERTA_SEVERITY.get(event["severity"], event["severity"]),
        "service": ["bench"],
        "text": event["message"],
        "value": str(event["value"]),
        "createTime": event["time"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "tags": [event["id"]],
    }


# --- sending ------------------------------------------------------------------------------


@dataclass
class Sent:
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    answers: list[dict[str, Any]]
    failures: int = 0  # no answer at all (connection errors after a reconnect)
    started: float = 0.0  # perf_counter at the first request
    samples: list[str] = field(default_factory=list)


def send_all(target: Target, path: str, bodies: list[bytes], concurrency: int) -> Sent:
    """POST every body once, ``concurrency`` threads each on its own keep-alive connection; a
    429 is sent again after a pause (at most ``RETRIES_429`` times)."""
    position = iter(range(len(bodies)))
    lock = threading.Lock()
    sent = Sent(0.0, [], Counter(), [])
    gate = threading.Barrier(concurrency + 1)

    def client() -> None:
        conn = target.connect()
        gate.wait()
        while True:
            with lock:
                number = next(position, None)
            if number is None:
                break
            for _attempt in range(RETRIES_429 + 1):
                start = time.perf_counter()
                try:
                    conn, status, body = http_load.send(
                        target, conn, ("POST", path, bodies[number])
                    )
                except (OSError, http.client.HTTPException) as error:
                    conn = target.connect()
                    with lock:
                        sent.failures += 1
                        if len(sent.samples) < 3:
                            sent.samples.append(repr(error))
                    break
                took = time.perf_counter() - start
                answer = json.loads(body) if status < 300 else None
                with lock:
                    sent.latencies.append(took)
                    sent.statuses[status] += 1
                    if answer is not None:
                        sent.answers.append(answer)
                    elif len(sent.samples) < 3:
                        sent.samples.append(f"{status} {body[:300]!r}")
                if status != 429:
                    break
                time.sleep(0.5)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    sent.started = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join()
    sent.seconds = time.perf_counter() - sent.started
    return sent


def settle(
    stored: Callable[[], dict[str, int]], expected: int, started: float
) -> tuple[dict[str, int], float]:
    """The stored counts once ``expected`` events are stored (Watchkeeper's processor works
    after the answers), or once the count has not moved for ``STALL_SECONDS``; and the seconds
    from ``started`` until then."""
    last, moved_at = -1, time.perf_counter()
    while True:
        counts, now = stored(), time.perf_counter()
        if counts["stored"] >= expected:
            return counts, now - started
        if counts["stored"] != last:
            last, moved_at = counts["stored"], now
        elif now - moved_at > STALL_SECONDS:
            return counts, moved_at - started
        time.sleep(0.05)


# --- CPU time from /proc ------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: user + system, with its reaped children's)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), sum(int(n) for n in fields[11:15]))
    return table


def tree_cpu(root: int | None) -> float:
    """CPU seconds of ``root`` and all its descendants (alive or reaped); 0 without a root."""
    if root is None:
        return 0.0
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        ticks += table.get(pid, (0, 0))[1]
        todo += children.get(pid, [])
    return ticks / TICKS


def postmaster_pid() -> int | None:
    """The local PostgreSQL server's main process (the parent of a backend), if it is here."""
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            stat = Path(f"/proc/{row[0] if row else 0}/stat").read_text()  # while it lives
        return int(stat[stat.rindex(")") + 2 :].split()[1])
    except Exception:  # no local server: no database CPU figure
        return None


@contextmanager
def serving(command: list[str], env: dict[str, str], health: str) -> Iterator[tuple[int, int]]:
    """Start a server on a free loopback port (``{port}`` in ``command``); yield (port, pid)."""
    port = http_load.free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    logfile = (VAR / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        http_load.wait_until_up(Target("127.0.0.1", port), health)
        yield port, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        logfile.close()


# --- one measurement ----------------------------------------------------------------------


@dataclass
class Server:
    target: Target
    path: str
    pid: int
    database_pid: int | None  # the PostgreSQL server's, when the system uses it


def measure(
    server: Server,
    bodies: list[bytes],
    events: int,
    concurrency: int,
    accepted_of: Callable[[dict[str, Any]], int],
    stored: Callable[[], dict[str, int]],
) -> dict[str, Any]:
    cpu_before = tree_cpu(server.pid), tree_cpu(server.database_pid)
    client_before = time.process_time()
    sent = send_all(server.target, server.path, bodies, concurrency)
    client_cpu = time.process_time() - client_before
    accepted = sum(accepted_of(answer) for answer in sent.answers)
    counts, processed_seconds = settle(stored, accepted, sent.started)
    cpu_after = tree_cpu(server.pid), tree_cpu(server.database_pid)
    app_cpu, db_cpu = (after - before for before, after in zip(cpu_before, cpu_after, strict=True))
    row: dict[str, Any] = {
        "events": events,
        "requests": len(bodies),
        "seconds": round(sent.seconds, 3),
        "accepted": accepted,
        "events_per_s": round(accepted / sent.seconds, 1),
        "processed_seconds": round(processed_seconds, 3),
        "processed_per_s": round(counts["stored"] / processed_seconds, 1),
        "p50_ms": round(percentile(sent.latencies, 0.5) * 1000, 2) if sent.latencies else None,
        "p99_ms": round(percentile(sent.latencies, 0.99) * 1000, 2) if sent.latencies else None,
        "status_5xx": sum(n for status, n in sent.statuses.items() if status >= 500),
        "statuses": {str(status): n for status, n in sorted(sent.statuses.items())},
        "no_answer": sent.failures,
        **counts,
        "lost": events - counts["stored"],
        "accepted_not_stored": max(0, accepted - counts["stored"]),
        "client_cpu_ms_per_event": round(client_cpu * 1000 / events, 3),
        "server_cpu_s": round(app_cpu, 2),
        "server_cpu_ms_per_event": round(app_cpu * 1000 / events, 3),
        "database_cpu_s": round(db_cpu, 2) if server.database_pid else None,
        "database_cpu_ms_per_event": (
            round(db_cpu * 1000 / events, 3) if server.database_pid else None
        ),
    }
    if sent.samples:
        row["answer_samples"] = sent.samples
    return row


def watchkeeper_counts(source: Any) -> Callable[[], dict[str, int]]:
    def counts() -> dict[str, int]:
        from watchkeeper.events.choices import LIVE_STATUSES
        from watchkeeper.events.models import Alert, Event

        alerts = Alert.objects.filter(source=source)
        return {
            "stored": Event.objects.filter(source=source).count(),
            "alerts": alerts.count(),
            "open_alerts": alerts.filter(status__in=LIVE_STATUSES).count(),
        }

    return counts


def new_source(name: str) -> tuple[Any, str]:
    from watchkeeper.events.sources import create_source

    return create_source(name=name, acting_user=None)


def watchkeeper_single(server: Server, args: argparse.Namespace, run: int) -> dict[str, Any]:
    source, token = new_source(f"bench-single-{run}")
    server.target.headers = {"Authorization": f"Bearer {token}"}
    events = workload(args.events, args.keys, f"wk{run}")
    bodies = [json.dumps(watchkeeper_event(event)).encode() for event in events]
    return measure(
        server,
        bodies,
        len(events),
        args.concurrency,
        lambda answer: int(answer["accepted"]),
        watchkeeper_counts(source),
    )


def watchkeeper_batch(server: Server, args: argparse.Namespace, run: int) -> dict[str, Any]:
    source, token = new_source(f"bench-batch-{run}")
    server.target.headers = {"Authorization": f"Bearer {token}"}
    events = [
        watchkeeper_event(event) for event in workload(args.batch_events, args.keys, f"b{run}")
    ]
    size = args.batch_size
    bodies = [
        json.dumps({"events": events[start : start + size]}).encode()
        for start in range(0, len(events), size)
    ]
    return measure(
        server,
        bodies,
        len(events),
        args.batch_concurrency,
        lambda answer: int(answer["accepted"]),
        watchkeeper_counts(source),
    )


def alerta_single(server: Server, args: argparse.Namespace, run: int) -> dict[str, Any]:
    alerta_setup.empty()
    tag = f"al{run}"
    events = workload(args.events, args.keys, tag)
    bodies = [json.dumps(alerta_alert(event)).encode() for event in events]
    return measure(
        server,
        bodies,
        len(events),
        args.concurrency,
        lambda answer: 1 if answer.get("status") == "ok" else 0,
        lambda: alerta_setup.counts(f"{tag}-"),
    )


def warm_up(server: Server, bodies: list[bytes], concurrency: int) -> None:
    """A few requests on every worker (code loaded, connections open) before timing."""
    sent = send_all(server.target, server.path, bodies, concurrency)
    if sent.failures or any(status >= 300 for status in sent.statuses):
        raise RuntimeError(f"{server.path} during warm-up: {sent.statuses} {sent.samples}")


# --- the whole run ------------------------------------------------------------------------


def setup(postgres: bool) -> dict[str, str]:
    """A fresh Watchkeeper database, migrated in this process; the environment for its server."""
    data = VAR / "events"
    data.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATCHKEEPER_")}
    env["WATCHKEEPER_DATA_DIR"] = str(data)
    for leftover in data.glob("*.sqlite3*"):
        leftover.unlink()
    if postgres:
        from bench.incidents import prepare_postgres

        prepare_postgres(DATABASE, empty=True)
        env["WATCHKEEPER_DATABASE_URL"] = f"{PG_SERVER}/{DATABASE}"
    else:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "watchkeeper.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the runs' figures; 5xx, lost and unanswered requests of the worst run."""
    worst = ("status_5xx", "lost", "accepted_not_stored", "no_answer")
    summary: dict[str, Any] = {}
    for name, value in rows[0].items():
        values = [row[name] for row in rows]
        if name in worst:
            summary[name] = max(values)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if all(v is not None for v in values):
                summary[name] = round(statistics.median(values), 3)
        elif value is None:
            summary[name] = None
    summary["runs"] = [row["events_per_s"] for row in rows]
    return summary


def bench(args: argparse.Namespace) -> dict[str, Any]:
    env = setup(args.postgres)
    from django.db import connection

    result: dict[str, Any] = {
        "database": connection.vendor,
        "load_before": load_average(),
        "settings": {
            name: getattr(args, name)
            for name in ("events", "keys", "concurrency", "runs", "batch_events", "batch_size")
        },
    }
    result["settings"]["batch_concurrency"] = args.batch_concurrency
    database_pid = postmaster_pid()
    wk_db_pid = database_pid if args.postgres else None
    wk_command = [str(ROOT / ".venv/bin/watchkeeper"), "serve", "--no-worker"]
    wk_command += ["--bind", "127.0.0.1:{port}", *SERVER_FLAGS]
    runs: dict[str, list[dict[str, Any]]] = {"watchkeeper": [], "alerta": [], "batch": []}
    with ExitStack() as stack:
        port, pid = stack.enter_context(serving(wk_command, env, "/healthz"))
        wk = Server(Target("127.0.0.1", port), "/api/v1/events", pid, wk_db_pid)
        _, token = new_source("bench-warm-up")
        wk.target.headers = {"Authorization": f"Bearer {token}"}
        warm = workload(4 * args.concurrency, args.keys, "warm")
        warm_up(wk, [json.dumps(watchkeeper_event(e)).encode() for e in warm], args.concurrency)
        alerta = None
        if not args.no_alerta:
            log("preparing Alerta (virtualenv, database alerta_bench, schema)")
            alerta_env = alerta_setup.prepare()
            port, pid = stack.enter_context(
                serving(alerta_setup.server_command(), alerta_env, "/_")
            )
            alerta = Server(Target("127.0.0.1", port), "/alert", pid, database_pid)
            warm_up(alerta, [json.dumps(alerta_alert(e)).encode() for e in warm], args.concurrency)
        for run in range(args.runs):
            runs["watchkeeper"].append(watchkeeper_single(wk, args, run))
            log(f"run {run + 1} watchkeeper: {runs['watchkeeper'][-1]}")
            if alerta:
                runs["alerta"].append(alerta_single(alerta, args, run))
                log(f"run {run + 1} alerta: {runs['alerta'][-1]}")
            if args.batch_events:
                runs["batch"].append(watchkeeper_batch(wk, args, run))
                log(f"run {run + 1} batch: {runs['batch'][-1]}")
    result["runs"] = runs
    result["median"] = {name: median_row(rows) for name, rows in runs.items() if rows}
    result["load_after"] = load_average()
    return result


# --- the report ---------------------------------------------------------------------------


def number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{int(value):,}"


def ratio(ours: Any, theirs: Any) -> str:
    return f"{ours / theirs:.1f}x" if ours and theirs else "n/a"


def report(result: dict[str, Any]) -> str:
    median, settings = result["median"], result["settings"]
    wk, al = median["watchkeeper"], median.get("alerta", {})
    lines = [
        f"#### Watchkeeper on {result['database']}; "
        + ("Alerta 9.1 on postgresql" if al else "no Alerta (--no-alerta)"),
        f"{settings['events']:,} events over {settings['keys']:,} keys, one per request, "
        f"concurrency {settings['concurrency']}; median of {settings['runs']} run(s). "
        f"Load {result['load_before']:.2f} before, {result['load_after']:.2f} after.",
        "",
        "| measure | Watchkeeper | Alerta 9.1 | Watchkeeper / Alerta |",
        "|---|---|---|---|",
    ]
    rows = [
        ("accepted events per second", "events_per_s", 1, True),
        (
            "processed events per second (to alerts, from the first send)",
            "processed_per_s",
            1,
            True,
        ),
        ("latency p50 (ms)", "p50_ms", 2, False),
        ("latency p99 (ms)", "p99_ms", 2, False),
        ("server CPU per event (ms)", "server_cpu_ms_per_event", 3, False),
        ("PostgreSQL CPU per event (ms)", "database_cpu_ms_per_event", 3, False),
        ("5xx answers (worst run)", "status_5xx", 0, False),
        ("lost events: sent - stored (worst run)", "lost", 0, False),
        ("of which answered as accepted (worst run)", "accepted_not_stored", 0, False),
        ("alerts (rows)", "alerts", 0, False),
        ("open alerts", "open_alerts", 0, False),
    ]
    for label, name, digits, with_ratio in rows:
        ours, theirs = wk.get(name), al.get(name)
        lines.append(
            f"| {label} | {number(ours, digits)} | {number(theirs, digits)} | "
            f"{ratio(ours, theirs) if with_ratio else ''} |"
        )
    runs = "; ".join(f"{name}: {median[name]['runs']}" for name in median)
    lines.append(f"| events per second, each run | {runs} | | |")
    batch = median.get("batch")
    if batch:
        lines += [
            "",
            f"Batch ingestion (Watchkeeper on {result['database']}): "
            f"{settings['batch_events']:,} events in batches of {settings['batch_size']:,}, "
            f"concurrency {settings['batch_concurrency']}: **{number(batch['events_per_s'])} "
            f"events/s** accepted (goal 20,000), processed into alerts "
            f"{number(batch['processed_per_s'])} events/s (all stored "
            f"{number(batch['processed_seconds'], 1)} s after the first send), "
            f"request p50 {number(batch['p50_ms'])} ms / p99 "
            f"{number(batch['p99_ms'])} ms, server CPU "
            f"{number(batch['server_cpu_ms_per_event'], 3)} ms per event, "
            f"5xx {number(batch['status_5xx'])}, lost {number(batch['lost'])}; "
            f"runs: {batch['runs']}.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench events", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--postgres", action="store_true", help="Watchkeeper on PostgreSQL")
    parser.add_argument("--events", type=int, default=5000, help="events, one per request")
    parser.add_argument("--keys", type=int, default=500, help="de-duplication keys")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--runs", type=int, default=3, help="runs (median)")
    parser.add_argument("--batch-events", type=int, default=100_000, help="0: no batch run")
    parser.add_argument("--batch-size", type=int, default=1000, help="events per batch")
    parser.add_argument("--batch-concurrency", type=int, default=2, help="batch client threads")
    parser.add_argument("--no-alerta", action="store_true", help="Watchkeeper only")
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    result = bench(args)
    results_file = VAR / "events-results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    results.append(
        {"at": time.strftime("%Y-%m-%d %H:%M"), "python": sys.version.split()[0], **result}
    )
    results_file.write_text(json.dumps(results, indent=1, default=str))
    print(report(result))
