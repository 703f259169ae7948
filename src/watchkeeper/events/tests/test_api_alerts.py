"""The alerts API: list in the console's order with filters, one alert, its events, the noise
figures, and the actions; users' sessions and tokens only, 4xx for every refusal."""

from __future__ import annotations

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.tests.conftest import event
from watchkeeper.incidents.actions import create_incident


@pytest.fixture
def api(make_user, make_token):
    def client(role: str = Role.AGENT) -> Client:
        token = make_token(make_user(None, role))
        return Client(headers={"Authorization": f"Bearer {token}"})

    return client


@pytest.fixture
def alerts(make_source):
    """web01 disk (warning, 3 events), db01 cpu (critical), web02 mem (major, then closed)."""
    source, _ = make_source()
    ingest(source, [event("web01", "disk", "warning", minute=m) for m in range(3)])
    ingest(source, [event("db01", "cpu", "critical", minute=1)])
    ingest(
        source,
        [event("web02", "mem", "major", minute=2), event("web02", "mem", "ok", minute=3)],
    )
    return {a.resource: a for a in Alert.objects.all()}


def numbers(answer) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [item["resource"] for item in answer.json()["items"]]


def test_the_list_shows_live_alerts_worst_first_and_filters(api, alerts):
    client = api(Role.AUDITOR)  # reading needs events.view only
    assert numbers(client.get("/api/v1/alerts")) == ["db01", "web01"]
    assert numbers(client.get("/api/v1/alerts?status=closed")) == ["web02"]
    assert numbers(client.get("/api/v1/alerts?severity=warning")) == ["web01"]
    assert numbers(client.get("/api/v1/alerts?q=cpu")) == ["db01"]
    assert numbers(client.get("/api/v1/alerts?resource=web01&source=prometheus")) == ["web01"]
    assert numbers(client.get("/api/v1/alerts?source=nagios")) == []
    page = client.get("/api/v1/alerts?limit=1&offset=1").json()
    assert page["count"] == 2 and not page["count_capped"] and len(page["items"]) == 1
    assert client.get("/api/v1/alerts?severity=awful").status_code == 422


def test_one_alert_and_its_events_newest_first(api, alerts):
    client = api(Role.RESOLVER)
    number = alerts["web01"].number
    one = client.get(f"/api/v1/alerts/{number}").json()
    assert (one["number"], one["count"], one["incident"]) == (number, 3, None)
    events = client.get(f"/api/v1/alerts/{number}/events?limit=2").json()
    assert events["count"] == 3 and len(events["items"]) == 2
    assert events["items"][0]["occurred_at"] > events["items"][1]["occurred_at"]
    assert client.get("/api/v1/alerts/ALR9999999").status_code == 404
    assert client.get("/api/v1/alerts/nonsense/events").status_code == 404


def test_an_agent_acknowledges_shelves_and_closes_through_the_api(api, alerts):
    client = api()
    number = alerts["web01"].number
    base = f"/api/v1/alerts/{number}"
    ack = client.post(f"{base}/acknowledge", {}, content_type="application/json")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    stale = client.post(f"{base}/unacknowledge", {"version": 1}, content_type="application/json")
    assert stale.status_code == 409
    shelved = client.post(f"{base}/shelve", {"hours": 4}, content_type="application/json")
    assert shelved.json()["status"] == "shelved" and shelved.json()["shelved_until"]
    both = client.post(
        f"{base}/shelve", {"hours": 1, "until": "2030-01-01T00:00:00Z"},
        content_type="application/json",
    )  # fmt: skip
    assert both.status_code == 400 and "until" in both.json()["detail"]
    too_far = client.post(f"{base}/shelve", {"until": "2099-01-01T00:00:00"}, "application/json")
    assert too_far.status_code == 400
    assert client.post(f"{base}/unshelve", {}, "application/json").json()["status"] == "open"
    closed = client.post(f"{base}/close", {"note": "known"}, content_type="application/json")
    assert closed.json()["status"] == "closed"
    again = client.post(f"{base}/acknowledge", {}, content_type="application/json")
    assert again.status_code == 400 and "closed" in again.json()["detail"]
    unknown = client.post(f"{base}/close", {"colour": 1}, content_type="application/json")
    assert unknown.status_code == 422


def test_an_alert_is_linked_to_an_incident_by_number(api, alerts, make_user):
    client = api()
    incident = create_incident(
        caller=make_user("rita"), short_description="DB slow", acting_user=None, channel="phone"
    )
    base = f"/api/v1/alerts/{alerts['db01'].number}"
    linked = client.post(f"{base}/link", {"incident": incident.number}, "application/json")
    assert linked.status_code == 200 and linked.json()["incident"] == incident.number
    missing = client.post(f"{base}/link", {"incident": "INC9999999"}, "application/json")
    assert missing.status_code == 400 and "incident" in missing.json()["detail"]
    unlinked = client.post(f"{base}/link", {"incident": None}, "application/json")
    assert unlinked.json()["incident"] is None


def test_reading_and_acting_need_their_permissions(api, alerts, make_source):
    number = alerts["db01"].number
    requester, auditor = api(Role.REQUESTER), api(Role.AUDITOR)
    assert requester.get("/api/v1/alerts").status_code == 403
    assert requester.get(f"/api/v1/alerts/{number}").status_code == 403
    assert requester.get("/api/v1/alerts/noise").status_code == 403
    answer = auditor.post(f"/api/v1/alerts/{number}/acknowledge", {}, "application/json")
    assert answer.status_code == 403
    assert Alert.objects.get(number=number).status == AlertStatus.OPEN
    assert Client().get("/api/v1/alerts").status_code == 401
    _, source_token = make_source("zabbix")
    by_source = Client(headers={"Authorization": f"Bearer {source_token}"})
    assert by_source.get("/api/v1/alerts").status_code == 401


def test_noise_figures_count_events_alerts_and_incidents(api, make_source):
    # given a source that opens incidents for critical alerts
    source, _ = make_source("nagios", incident_severities=["critical"])
    ingest(source, [event("db01", "cpu", "critical", minute=m) for m in range(4)])
    ingest(source, [event("web01", "disk", "warning", minute=m) for m in range(4)])

    # when
    figures = api(Role.AUDITOR).get("/api/v1/alerts/noise?days=7").json()

    # then 8 events, 2 alerts, 1 incident
    assert (figures["events"], figures["alerts"], figures["incidents"]) == (8, 2, 1)
    assert figures["events_per_alert"] == 4.0 and figures["alerts_per_incident"] == 2.0
    assert figures["reduction"] == 87.5
    assert api().get("/api/v1/alerts/noise?days=0").status_code == 422
