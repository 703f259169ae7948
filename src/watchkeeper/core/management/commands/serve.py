"""``watchkeeper serve``: the web server (gunicorn), the event processor (``watchkeeper events
process``: it moves accepted events from this host's spool into alerts) and, on the embedded
default, a job worker.

With SqliteHuey (no Redis) nothing else would work the queue, so ``serve`` starts the scheduler
beside the web server; with Redis, workers and the scheduler run as their own services.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def embedded_queue() -> bool:
    return bool(settings.HUEY["huey_class"] == "huey.SqliteHuey")


EVENT_PROCESSOR = [sys.executable, "-m", "watchkeeper", "events", "process"]


def web_command(bind: str, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "watchkeeper.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        # Its default socket path is one per user, shared by every instance on the host.
        "--no-control-socket",
    ]


class Command(BaseCommand):
    help = "Serve Watchkeeper (and run a job worker when the queue is the embedded SQLite one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.BIND, help="address:port to listen on")
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per web worker")
        jobs = parser.add_mutually_exclusive_group()
        jobs.add_argument("--with-worker", action="store_true", help="always run a job worker")
        jobs.add_argument("--no-worker", action="store_true", help="never run a job worker")
        parser.add_argument(
            "--no-event-processor",
            action="store_true",
            help="do not process accepted events (another process on this host does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_worker = options["with_worker"] or (embedded_queue() and not options["no_worker"])
        processes = []
        if with_worker:
            processes.append(subprocess.Popen([sys.executable, "-m", "watchkeeper", "scheduler"]))
        if not options["no_event_processor"]:
            processes.append(subprocess.Popen(EVENT_PROCESSOR))
        command = web_command(options["bind"], options["workers"], options["threads"])
        processes.append(subprocess.Popen(command))
        jobs = "a job worker in this command" if with_worker else "no job worker (run `worker`)"
        self.stdout.write(f"Watchkeeper serves on http://{options['bind']}/ with {jobs}.")
        self.stdout.flush()
        sys.exit(supervise(processes))


def supervise(processes: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a process ends or a signal arrives, then stop them all."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(process.poll() is None for process in processes):
        time.sleep(0.3)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0 if stopping else max(process.returncode or 0 for process in processes) or 1
