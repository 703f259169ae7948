"""Maintenance windows, heartbeats and flapping."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import add_relation, create_ci
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.heartbeats import beat, sweep_heartbeats
from watchkeeper.events.ingest import ingest
from watchkeeper.events.maintenance import is_open, save_window
from watchkeeper.events.models import Alert, MaintenanceWindow
from watchkeeper.events.tests.conftest import T0, event

HOUR = dt.timedelta(hours=1)


def window(**fields: object) -> MaintenanceWindow:
    values = {"name": "patching", "starts_at": T0 - HOUR, "ends_at": T0 + HOUR, **fields}
    items = values.pop("items", None)
    return save_window(None, acting_user=None, items=items, **values)  # type: ignore[arg-type]


def test_a_recurring_window_opens_on_its_schedule_only():
    nightly = MaintenanceWindow(
        name="n", starts_at=T0 - 10 * HOUR, ends_at=T0 + 100 * HOUR, schedule="0 2 * * *",
        duration_minutes=60,
    )  # fmt: skip
    day = T0.replace(hour=0, minute=0)
    assert is_open(nightly, day + dt.timedelta(hours=2, minutes=30))
    assert not is_open(nightly, day + dt.timedelta(hours=3, minutes=1))
    assert not is_open(nightly, day + 200 * HOUR + dt.timedelta(hours=2))  # after its end


def test_bad_windows_are_refused(db):
    with pytest.raises(ValidationError) as caught:
        window(ends_at=T0 - 2 * HOUR, schedule="nightly")
    assert {"ends_at", "schedule", "duration_minutes"} <= set(caught.value.message_dict)


@time_machine.travel(T0, tick=False)
def test_alerts_on_what_a_service_under_maintenance_rests_on_open_no_incident(make_source):
    # given a service that runs on a server, under maintenance now
    service = create_ci(name="Shop", ci_class="business_service", acting_user=None)
    server = create_ci(name="web01", ci_class="server", hostname="web01", acting_user=None)
    add_relation(service, "runs_on", server, acting_user=None)
    window(items=[service])
    source, _ = make_source(incident_severities=["critical"])

    # when the server goes critical, and another host too
    ingest(source, [event(resource="web01", minute=0), event(resource="db07", minute=0)])

    # then the server's alert is marked and has no incident; the other one has one
    web, db = Alert.objects.get(resource="web01"), Alert.objects.get(resource="db07")
    assert (web.in_maintenance, web.incident) == (True, None)
    assert (db.in_maintenance, db.incident is not None) == (False, True)


@time_machine.travel(T0, tick=False)
def test_a_window_by_labels(make_source):
    window(labels={"env": "staging"})
    source, _ = make_source(incident_severities=["critical"])
    ingest(source, [event(labels={"env": "staging"}), event(check="cpu", labels={"env": "prod"})])
    assert Alert.objects.get(check_name="disk").in_maintenance
    assert not Alert.objects.get(check_name="cpu").in_maintenance


def test_a_silent_heartbeat_raises_an_alert_once_and_a_beat_clears_it(make_source):
    # given a backup job that beats every 60 minutes
    source, _ = make_source(incident_severities=["major"])
    beat(source, "nightly-backup", interval_minutes=60, now=T0)

    # when the sweep runs within the interval, then after it (twice), then the job beats
    assert sweep_heartbeats(T0 + dt.timedelta(minutes=64)) == 0
    assert sweep_heartbeats(T0 + dt.timedelta(minutes=66)) == 1
    assert sweep_heartbeats(T0 + dt.timedelta(minutes=90)) == 0
    alert = Alert.objects.get()
    assert (alert.check_name, alert.severity, alert.incident is not None) == (
        "heartbeat", "major", True,
    )  # fmt: skip
    beat(source, "nightly-backup", now=T0 + dt.timedelta(minutes=95))

    # then the alert is closed, and its incident resolved
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert alert.incident.state == "resolved"


def test_a_key_that_comes_and_goes_is_flapping_and_opens_no_new_incident(make_source):
    source, _ = make_source(incident_severities=["critical"])
    for n in range(3):
        ingest(source, [event(minute=10 * n), event(severity="ok", minute=10 * n + 1)])
    ingest(source, [event(minute=40)])
    alerts = list(Alert.objects.order_by("pk"))
    assert [a.flapping for a in alerts] == [False, False, True, True]
    assert alerts[-1].incident is None


def test_heartbeats_and_windows_over_the_api(make_source, make_user, api_client):
    # a source beats with its token
    _, token = make_source()
    client = Client(headers={"Authorization": f"Bearer {token}"})
    answer = client.post("/api/v1/heartbeats/nightly-backup?interval=1440")
    assert answer.status_code == 200, answer.content
    assert answer.json()["interval_minutes"] == 1440
    assert client.post("/api/v1/heartbeats/bad%20name").status_code == 400

    # a service owner plans a window; an agent may read but not plan
    owner, agent = (
        api_client(make_user("owner", Role.SERVICE_OWNER)),
        api_client(make_user("agent", Role.AGENT)),
    )
    now = dt.datetime.now(dt.UTC)
    body = {"name": "patch", "starts_at": now.isoformat(), "ends_at": (now + HOUR).isoformat()}
    created = owner.post("/api/v1/maintenance-windows", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["open_now"] is True
    assert agent.get("/api/v1/maintenance-windows").json()[0]["name"] == "patch"
    refused = agent.post("/api/v1/maintenance-windows", body, content_type="application/json")
    assert refused.status_code == 403
    bad = owner.post(
        "/api/v1/maintenance-windows", {**body, "items": ["CI0009999"]},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 400 and "items" in bad.json()["detail"]
    gone = owner.delete(f"/api/v1/maintenance-windows/{created.json()['id']}")
    assert gone.status_code == 204


def test_raw_payloads_are_dropped_after_the_retention(make_source, settings):
    from watchkeeper.events.models import Event
    from watchkeeper.events.retention import purge_raw

    settings.EVENTS_RAW_DAYS = 7
    source, _ = make_source()
    ingest(source, [event(raw={"tool": "says"})])
    received = Event.objects.get().received_at
    assert purge_raw(received + dt.timedelta(days=6)) == 0
    assert purge_raw(received + dt.timedelta(days=8)) == 1
    stored = Event.objects.get()
    assert (stored.raw, stored.resource) == (None, "web01")
