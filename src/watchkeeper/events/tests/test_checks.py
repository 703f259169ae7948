"""Active checks against real servers on loopback: HTTP status, content, latency, TLS
certificate expiry, TCP ports; each run is an event, so a failure is an alert and recovery
clears it."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchkeeper.events.checks import run, run_due_checks
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.models import ActiveCheck, Alert


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.3)
        status = 500 if self.path == "/fail" else 200
        body = b"hello watchkeeper"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


def serve(context: ssl.SSLContext | None = None) -> tuple[http.server.HTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def web() -> Iterator[str]:
    server, port = serve()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def make_check(source, target: str, **fields: object) -> ActiveCheck:
    check = ActiveCheck(source=source, name=fields.pop("name", "site"), target=target, **fields)
    check.full_clean()
    check.save()
    return check


def test_http_status_content_and_latency(make_source, web):
    source, _ = make_source()
    good = make_check(source, f"{web}/", expected_text="watchkeeper", name="good")
    wrong = make_check(source, f"{web}/fail", name="wrong")
    missing = make_check(source, f"{web}/", expected_text="absent", name="missing")
    slow = make_check(source, f"{web}/slow", latency_warning_ms=100, name="slow")

    assert run(good).severity == "ok"
    assert "answered 500, not 200" in run(wrong).message
    assert "lacks 'absent'" in run(missing).message
    assert run(slow).severity == "warning"
    severities = dict(Alert.objects.values_list("check_name", "severity"))
    assert severities == {"http:wrong": "major", "http:missing": "major", "http:slow": "warning"}


def test_a_closed_port_is_an_alert_and_the_next_good_run_clears_it(make_source):
    # given a port that nobody listens on
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    source, _ = make_source()
    check = make_check(source, f"127.0.0.1:{port}", kind="tcp", severity="critical")

    # when it is checked, then something listens and it is checked again
    assert run(check).severity == "critical"
    listener = socket.create_server(("127.0.0.1", port))
    try:
        assert run(check).severity == "ok"
    finally:
        listener.close()

    # then the alert opened and closed
    assert Alert.objects.get().status == AlertStatus.CLOSED


def test_due_checks_run_once_per_interval(make_source, web):
    source, _ = make_source()
    make_check(source, f"{web}/", interval_minutes=5)
    now = dt.datetime.now(dt.UTC)
    assert run_due_checks(now) == 1
    assert run_due_checks(now + dt.timedelta(minutes=4)) == 0
    assert run_due_checks(now + dt.timedelta(minutes=5)) == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_certificate_that_expires_soon_is_a_warning(make_source, tmp_path: Path, monkeypatch):
    # given an HTTPS server whose trusted certificate expires in 3 days
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "3", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, port = serve(context)
    source, _ = make_source()
    try:
        result = run(make_check(source, f"https://127.0.0.1:{port}/"))
    finally:
        server.shutdown()

    # then the check warns about the certificate
    assert result.severity == "warning", result.message
    assert (
        "certificate expires in 2 days" in result.message or "expires in 3 days" in result.message
    )


def test_bad_targets_are_refused(make_source):
    source, _ = make_source()
    for kind, target in (("http", "file:///etc/passwd"), ("tcp", "no-port"), ("http", "ftp://x")):
        with pytest.raises(Exception, match="target"):
            make_check(source, target, kind=kind)
