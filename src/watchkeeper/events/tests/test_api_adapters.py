"""The tools' endpoints: real Alertmanager deliveries open and resolve an incident, repeats count
once, Grafana and Zabbix bodies, 4xx for bad bodies, 429 with Retry-After under overload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client, override_settings

from watchkeeper.events import throttle
from watchkeeper.events.models import Alert, Event
from watchkeeper.events.processor import drain
from watchkeeper.events.tests.test_adapters import GRAFANA, ZABBIX
from watchkeeper.incidents.choices import IncidentState

SAMPLES = Path("/work/shared/samples/alertmanager")
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is not there")


def post(token: str, tool: str, body: object) -> object:
    client = Client(headers={"Authorization": f"Bearer {token}"})
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/v1/events/{tool}", data, content_type="application/json")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


@needs_samples
def test_alertmanager_firing_opens_an_incident_and_resolved_resolves_it(make_source):
    # given a source that opens incidents for critical alerts
    _, token = make_source(kind="alertmanager", incident_severities=["critical"])
    # when Alertmanager delivers the firing group, twice (a repeat), then the resolved one
    firing = post(token, "alertmanager", sample("firing.json"))
    repeat = post(token, "alertmanager", sample("firing.json"))
    drain()
    alert = Alert.objects.get()
    incident = alert.incident
    resolved = post(token, "alertmanager", sample("resolved.json"))
    drain()
    # then
    assert firing.status_code == 202, firing.content
    assert firing.json() == repeat.json() == resolved.json() == {"accepted": 1}
    assert incident is not None and incident.state == IncidentState.NEW
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert alert.status == "closed" and alert.count == 2
    assert incident.state == IncidentState.RESOLVED
    assert Event.objects.count() == 2


@needs_samples
def test_a_warning_opens_an_alert_but_no_incident(make_source):
    _, token = make_source(kind="alertmanager", incident_severities=["critical"])
    answer = post(token, "alertmanager", sample("firing-amtool.json"))
    assert answer.status_code == 202, answer.content
    drain()
    alert = Alert.objects.get()
    assert (alert.severity, alert.resource, alert.incident) == ("warning", "api01:8080", None)


def test_grafana_and_zabbix_bodies_open_and_clear_alerts(make_source):
    # given
    _, token = make_source(kind="grafana")
    # when
    grafana = post(token, "grafana", GRAFANA)
    problem = post(token, "zabbix", ZABBIX)
    recovery = post(token, "zabbix", {**ZABBIX, "status": "RESOLVED"})
    again = post(token, "zabbix", {**ZABBIX, "status": "RESOLVED"})  # a repeat
    # then
    assert {grafana.status_code, problem.status_code, recovery.status_code, again.status_code} == {
        202
    }
    assert drain() == 4
    assert Alert.objects.filter(source__kind="grafana").count() == 2
    assert Event.objects.filter(resource="web01").count() == 2  # the repeat counted once
    zabbix = Alert.objects.get(resource="web01")
    assert (zabbix.severity, zabbix.status, zabbix.labels) == (
        "major",
        "closed",
        {"service": "shop"},
    )


@pytest.mark.parametrize(
    ("tool", "body", "status", "named"),
    [
        ("alertmanager", "{not json", 400, "Cannot parse"),
        ("alertmanager", "[]", 422, "version"),
        ("alertmanager", {"version": "3", "alerts": []}, 422, "version 4"),
        ("alertmanager", {"version": 4, "alerts": []}, 422, "version"),
        ("alertmanager", {"alerts": []}, 422, "version"),
        ("alertmanager", {"version": "4", "alerts": [{"status": "firing"}]}, 422,
         "alerts.0.labels"),
        ("alertmanager", {"version": "4", "alerts": [{"status": "on", "labels": {}}]}, 422,
         "alerts.0.status"),
        ("alertmanager", {"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}}]},
         422, "alerts.0.labels.a"),
        ("alertmanager", {"version": "4", "alerts": [
            {"status": "firing", "labels": {}, "startsAt": 1e300}]}, 422, "startsAt"),
        ("alertmanager", '{"version": "4", "alerts": [], "x": ' + "9" * 5000 + "}", 400,
         "Cannot parse"),
        ("alertmanager", {"version": "4", "alerts": [
            {"status": "firing", "labels": {"alertname": "a\x00"}}]}, 422, "NUL"),
        ("grafana", {"alerts": [{"status": "firing", "labels": {}, "fingerprint": "f" * 101}]},
         422, "fingerprint"),
        ("grafana", {"status": "firing"}, 422, "alerts"),
        ("zabbix", {**ZABBIX, "severity": "Apocalyptic"}, 422, "severity"),
        ("zabbix", {**ZABBIX, "event_id": 10**30}, 422, "event_id"),
        ("zabbix", {**ZABBIX, "host": "web\x00"}, 422, "NUL"),
        ("zabbix", {**ZABBIX, "time": "yesterday"}, 422, "time"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_and_named(make_source, tool, body, status, named):
    _, token = make_source()
    answer = post(token, tool, body)
    assert answer.status_code == status, answer.content
    assert named in answer.json()["detail"], answer.json()
    assert not Event.objects.exists()


def test_the_tools_endpoints_take_only_a_source_token(make_source):
    answer = post("wk_000000000000_nope", "zabbix", ZABBIX)
    assert answer.status_code == 401


@pytest.mark.parametrize("path", ["events", "events/alertmanager", "events/zabbix"])
@override_settings(EVENTS_MAX_CONCURRENT=1)
def test_overload_answers_429_with_retry_after(make_source, path):
    # given the one ingestion slot is taken
    _, token = make_source()
    client = Client(headers={"Authorization": f"Bearer {token}"})
    body = {"resource": "web01", "check": "disk", "severity": "major"}
    with throttle.slot() as taken:
        assert taken
        # when another request comes
        busy = client.post(f"/api/v1/{path}", body, content_type="application/json")
    # then it is told to come back, and nothing was stored; once free, it is taken
    assert busy.status_code == 429, busy.content
    assert busy["Retry-After"] == "1" and "again" in busy.json()["detail"]
    assert not Event.objects.exists()
    free = client.post("/api/v1/events", body, content_type="application/json")
    assert free.status_code == 202, free.content
