"""``watchkeeper serve`` really serves: web server and embedded job worker start, answer, stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, seconds: float) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                return dict(json.load(response))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_for_line(path: Path, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while text not in path.read_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared in {path.read_text()}"
        time.sleep(0.3)


def test_serve_answers_health_checks_and_stops_cleanly(tmp_path: Path) -> None:
    # given a migrated data directory of its own (SQLite: this tests the command, not a database)
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATCHKEEPER_")}
    env["WATCHKEEPER_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "watchkeeper"]
    subprocess.run([*command, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = free_port()
    log_path = tmp_path / "serve.log"
    # when
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", seconds=60)
        wait_for_line(log_path, "Huey consumer started", seconds=60)
        # then
        assert health["database"] == "ok"
        assert health["queue"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    output = log_path.read_text()
    assert server.returncode == 0, output
    assert "with a job worker in this command" in output
    assert "Shutting down: Master" in output
