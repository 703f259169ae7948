"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) delivers to Watchkeeper's
live server over loopback: a firing critical alert opens an incident, and the resolved
notification resolves it.

Without ``/usr/bin/prometheus-alertmanager`` the test is skipped, unless
``WATCHKEEPER_REQUIRE_ALERTMANAGER=1`` (CI, which installs it) turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from watchkeeper.events import throttle
from watchkeeper.events.models import Alert
from watchkeeper.events.processor import drain
from watchkeeper.events.sources import create_source
from watchkeeper.incidents.choices import IncidentState

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
WAIT_SECONDS = 60
pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = """\
route:
  receiver: watchkeeper
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: watchkeeper
    webhook_configs:
      - url: {url}/api/v1/events/alertmanager
        send_resolved: true
        max_alerts: 1000
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(what: str, condition: Callable[[], Any], log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} within {WAIT_SECONDS} s; Alertmanager said:\n{log.read_text()[-3000:]}")


def processed(condition: Callable[[], bool]) -> Callable[[], bool]:
    """``condition`` after the event processor's turn (``watchkeeper serve`` runs it in its own
    process; here the test's thread takes that part, on the test's database)."""
    return lambda: drain() >= 0 and condition()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def alertmanager(live_server: Any, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A running Alertmanager whose webhook receiver is a fresh Watchkeeper source."""
    if not ALERTMANAGER.exists():
        reason = f"{ALERTMANAGER} is not installed (apt-get install prometheus-alertmanager)"
        if os.environ.get("WATCHKEEPER_REQUIRE_ALERTMANAGER") == "1":
            pytest.fail(f"WATCHKEEPER_REQUIRE_ALERTMANAGER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    _source, token = create_source(
        name="alertmanager", acting_user=None, kind="alertmanager", incident_severities=["critical"]
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=live_server.url, token=token))
    url = f"http://127.0.0.1:{_free_port()}"
    log = tmp_path / "alertmanager.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(ALERTMANAGER), f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address={url.removeprefix('http://')}", "--cluster.listen-address="],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait("Alertmanager did not start", lambda: _answers(f"{url}/-/ready"), log)
        yield url, log
    finally:
        process.kill()
        process.wait(timeout=10)


def _push(url: str, alert: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{url}/api/v2/alerts",
        data=json.dumps([alert]).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert response.status == 200


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_firing_alert_opens_an_incident_and_its_resolution_resolves_it(alertmanager):
    # given a running Alertmanager that notifies Watchkeeper
    url, log = alertmanager
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    alert = {
        "labels": {"alertname": "DiskFull", "instance": "web01:9100", "severity": "critical"},
        "annotations": {"summary": "Disk / on web01 is 97% full"},
        "startsAt": _iso(started),
    }
    # when the alert fires
    _push(url, alert)
    # then Watchkeeper has an alert with an open incident
    firing = Alert.objects.filter(check_name="DiskFull", incident__isnull=False)
    _wait("No alert with an incident", processed(firing.exists), log)
    opened = firing.get()
    assert (opened.resource, opened.severity, opened.status) == ("web01:9100", "critical", "open")
    assert opened.incident is not None and opened.incident.state == IncidentState.NEW
    # when it ends
    _push(url, {**alert, "endsAt": _iso(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))})
    # then the alert closes and its incident is resolved
    resolved = Alert.objects.filter(
        pk=opened.pk, status="closed", incident__state=IncidentState.RESOLVED
    )
    _wait("The incident was not resolved", processed(resolved.exists), log)


def test_a_notification_refused_for_overload_is_delivered_later(alertmanager):
    # given every ingestion slot is taken
    url, log = alertmanager
    alert = {
        "labels": {"alertname": "LoadHigh", "instance": "db01:9100", "severity": "major"},
        "startsAt": _iso(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)),
    }
    with override_settings(EVENTS_MAX_CONCURRENT=1), throttle.slot():
        # when the alert fires, Watchkeeper answers 429
        _push(url, alert)
        _wait("Alertmanager was not refused", lambda: "status code 429" in log.read_text(), log)
        assert not Alert.objects.exists()
    # then Alertmanager sends it again, and it is taken
    _wait("The refused notification never came again", processed(Alert.objects.exists), log)
