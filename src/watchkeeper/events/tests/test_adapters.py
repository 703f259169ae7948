"""The tools' formats as events: the real Alertmanager samples, Grafana, Zabbix, bad payloads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from watchkeeper.events.adapters import alertmanager, grafana, zabbix

SAMPLES = Path("/work/shared/samples/alertmanager")
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is not there")
UTC = dt.UTC

GRAFANA = {
    "receiver": "watchkeeper", "status": "firing", "orgId": 1, "version": "1",
    "title": "[FIRING:1] High memory usage", "state": "alerting",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "High memory usage", "team": "blue", "host": "db01"},
        "annotations": {"description": "The system has high memory usage"},
        "startsAt": "2021-10-12T09:51:03.157076+02:00", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana.invalid/alerting/1afz29v7z/edit",
        "fingerprint": "c6eadffa33fcdf37", "silenceURL": "", "dashboardURL": "", "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    }],
}  # fmt: skip
ZABBIX = {
    "event_id": "4711", "host": "web01", "trigger": "High CPU utilization", "severity": "High",
    "status": "PROBLEM", "message": "CPU 97%", "time": "2026-11-26T08:00:00Z",
    "tags": [{"tag": "service", "value": "shop"}],
}  # fmt: skip


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


@needs_samples
def test_alertmanager_firing_sample_is_one_critical_event():
    # given the real firing delivery / when parsed
    [event] = alertmanager.parse(sample("firing.json"))
    # then
    assert (event.resource, event.check, event.severity) == ("web01:9100", "DiskFull", "critical")
    assert event.message == "Disk / on web01 is 97% full"
    assert event.labels["job"] == "node" and event.fingerprint == "d3dc3e38d555fe8b"
    assert event.occurred_at == dt.datetime(2026, 11, 26, 1, 18, 11, tzinfo=UTC)
    assert event.external_id == "d3dc3e38d555fe8b:firing:2026-11-26T01:18:11.000000Z"
    assert event.raw["alert"]["labels"]["alertname"] == "DiskFull"


@needs_samples
def test_alertmanager_resolved_sample_is_an_ok_at_its_end():
    [event] = alertmanager.parse(sample("resolved.json"))
    assert event.severity == "ok" and event.fingerprint == "d3dc3e38d555fe8b"
    assert event.occurred_at == dt.datetime(2026, 11, 26, 1, 18, 17, tzinfo=UTC)
    assert event.external_id == "d3dc3e38d555fe8b:resolved:2026-11-26T01:18:17.000000Z"


@needs_samples
def test_alertmanager_amtool_sample_keeps_nanosecond_times_and_warning():
    [event] = alertmanager.parse(sample("firing-amtool.json"))
    assert (event.resource, event.check, event.severity) == ("api01:8080", "HighLatency", "warning")
    assert event.message == "p99 latency above 2s"
    assert event.occurred_at == dt.datetime(2026, 11, 26, 1, 18, 14, 297644, tzinfo=UTC)


@pytest.mark.parametrize(
    ("word", "severity"),
    [("critical", "critical"), ("page", "critical"), ("error", "major"), ("major", "major"),
     ("warning", "warning"), ("info", "info"), ("none", "info"), ("odd", "warning"),
     ("", "warning")],
)  # fmt: skip
def test_alertmanager_severity_words_map_to_ours(word, severity):
    labels = {"alertname": "X", "job": "node", "severity": word}
    body = {"version": "4", "alerts": [{"status": "firing", "labels": labels}]}
    [event] = alertmanager.parse(body)
    assert event.severity == severity and event.resource == "node"


def test_alertmanager_refuses_other_versions_and_names_missing_fields():
    with pytest.raises(ValidationError, match="version 4"):
        alertmanager.parse({"version": "3", "alerts": []})
    with pytest.raises(ValidationError, match=r"alerts\.0\.labels"):
        alertmanager.parse({"version": "4", "alerts": [{"status": "firing"}]})
    with pytest.raises(ValidationError, match="NUL"):
        alertmanager.parse(
            {"version": "4", "alerts": [{"status": "firing", "labels": {"a\x00": "b"}}]}
        )


def test_grafana_alert_is_an_event_named_by_host():
    [event] = grafana.parse(GRAFANA)
    assert (event.resource, event.check, event.severity) == ("db01", "High memory usage", "warning")
    assert event.message == "The system has high memory usage"
    assert event.occurred_at == dt.datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert event.external_id.startswith("c6eadffa33fcdf37:firing:")


def test_grafana_resolved_is_ok():
    alert = {**GRAFANA["alerts"][0], "status": "resolved", "endsAt": "2021-10-12T10:00:00Z"}
    [event] = grafana.parse({**GRAFANA, "alerts": [alert]})
    assert event.severity == "ok"
    assert event.occurred_at == dt.datetime(2021, 10, 12, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("word", "severity"),
    [("Not classified", "info"), ("Information", "info"), ("Warning", "warning"),
     ("Average", "minor"), ("High", "major"), ("Disaster", "critical"), ("5", "critical")],
)  # fmt: skip
def test_zabbix_severities_map_to_ours(word, severity):
    [event] = zabbix.parse({**ZABBIX, "severity": word})
    assert event.severity == severity


def test_zabbix_problem_and_recovery_share_the_fingerprint():
    [problem] = zabbix.parse(ZABBIX)
    [recovery] = zabbix.parse({**ZABBIX, "status": "RESOLVED"})
    assert (problem.resource, problem.check) == ("web01", "High CPU utilization")
    assert problem.labels == {"service": "shop"} and problem.message == "CPU 97%"
    assert recovery.severity == "ok" and recovery.fingerprint == problem.fingerprint
    assert recovery.external_id != problem.external_id


def test_zabbix_tags_given_twice_keep_both_values():
    tags = [{"tag": "role", "value": "web"}, {"tag": "role", "value": "db"}]
    [event] = zabbix.parse({**ZABBIX, "tags": tags})
    assert event.labels == {"role": "web,db"}


def test_zabbix_refuses_unknown_severity_and_status():
    with pytest.raises(ValidationError, match="severity"):
        zabbix.parse({**ZABBIX, "severity": "Apocalyptic"})
    with pytest.raises(ValidationError, match="status"):
        zabbix.parse({**ZABBIX, "status": "MAYBE"})
    with pytest.raises(ValidationError, match="host"):
        zabbix.parse({key: value for key, value in ZABBIX.items() if key != "host"})
