"""A small HTTP load generator (standard library only): latency samples and throughput.

Latencies are taken one request at a time on one keep-alive connection, so they are the server's
time for that request plus loopback, not queueing behind other requests. Throughput runs
``concurrency`` threads, each with its own keep-alive connection, for a fixed time.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, bytes | None]  # method, path, body
TIMEOUT = 600.0


@dataclass
class Target:
    host: str
    port: int
    headers: dict[str, str] = field(default_factory=dict)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)


def send(
    target: Target, conn: http.client.HTTPConnection, request: Request
) -> tuple[http.client.HTTPConnection, int, bytes]:
    """One request on ``conn``; reconnects once if the server closed the keep-alive connection."""
    method, path, body = request
    headers = dict(target.headers)
    if body is not None:
        headers["Content-Type"] = "application/json"
    for attempt in (1, 2):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return conn, response.status, response.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            conn.close()
            if attempt == 2:
                raise
            conn = target.connect()
    raise AssertionError("unreachable")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Latency:
    samples: list[float]
    statuses: Counter[int]

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples, 0.50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples, 0.99) * 1000


def latencies(
    target: Target,
    requests: list[Request],
    *,
    samples: int = 300,
    budget_seconds: float = 60.0,
    warmup: int = 3,
    min_samples: int = 3,
    expect: int = 200,
) -> Latency:
    """Time ``samples`` requests (cycling through ``requests``), fewer if the budget runs out
    (but at least ``min_samples``). Raises if any answer is not ``expect``."""
    conn = target.connect()
    statuses: Counter[int] = Counter()
    for position in range(warmup):
        conn, status, _ = send(target, conn, requests[position % len(requests)])
    timings: list[float] = []
    deadline = time.monotonic() + budget_seconds
    for position in range(samples):
        start = time.perf_counter()
        conn, status, body = send(target, conn, requests[position % len(requests)])
        timings.append(time.perf_counter() - start)
        statuses[status] += 1
        if status != expect:
            raise RuntimeError(f"{requests[position % len(requests)][1]}: {status} {body[:300]!r}")
        if len(timings) >= min_samples and time.monotonic() > deadline:
            break
    conn.close()
    return Latency(timings, statuses)


@dataclass
class Throughput:
    requests_per_second: float
    completed: int
    statuses: Counter[int]


def throughput(
    target: Target,
    make_request: Callable[[int], Request],
    *,
    concurrency: int = 8,
    seconds: float = 10.0,
    expect: int = 201,
) -> Throughput:
    """Requests per second with ``concurrency`` clients sending back to back for ``seconds``."""
    counter = iter(range(10**12))
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    start_gate = threading.Barrier(concurrency + 1)
    deadline = 0.0

    def client() -> None:
        conn = target.connect()
        start_gate.wait()
        while time.monotonic() < deadline:
            with lock:
                number = next(counter)
            conn, status, body = send(target, conn, make_request(number))
            with lock:
                statuses[status] += 1
                if status != expect and len(errors) < 3:
                    errors.append(f"{status} {body[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"unexpected answers: {errors}")
    completed = statuses[expect]
    return Throughput(completed / elapsed, completed, statuses)


def median_throughput(runs: list[Throughput]) -> float:
    return statistics.median(run.requests_per_second for run in runs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(target: Target, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = target.connect()
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no server on {target.host}:{target.port} after {timeout:.0f} s")
