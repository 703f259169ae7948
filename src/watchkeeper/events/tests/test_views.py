"""The alert console's pages: who may read and act, the live list and its filters, the rows
partial htmx polls, the alert page, and the actions' POST forms (which work without JS)."""

from __future__ import annotations

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.events import spool
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.tests.conftest import T0, event
from watchkeeper.incidents.actions import create_incident

CONSOLE = "/events/"


@pytest.fixture
def logged_in(make_user):
    def client(role: str = Role.AGENT) -> Client:
        browser = Client()
        browser.force_login(make_user(None, role))
        return browser

    return client


@pytest.fixture
def alerts(make_source):
    source, _ = make_source()
    ingest(source, [event("web01", "disk", "warning", message="Disk 91% full")])
    ingest(source, [event("db01", "cpu", "critical", message="CPU 99%")])
    return {a.resource: a for a in Alert.objects.all()}


def test_staff_read_the_console_others_may_not(logged_in, alerts):
    for role in [Role.AGENT, Role.RESOLVER, Role.AUDITOR, Role.SERVICE_OWNER, Role.ADMINISTRATOR]:
        page = logged_in(role).get(CONSOLE)
        assert page.status_code == 200, role
        assert b"Alerts" in page.content and alerts["db01"].number.encode() in page.content
    assert logged_in(Role.REQUESTER).get(CONSOLE).status_code == 403
    assert logged_in(Role.REQUESTER).get(f"/events/{alerts['db01'].number}/").status_code == 403
    assert Client().get(CONSOLE).status_code == 302  # to the login page


def test_the_console_lists_worst_first_filters_and_polls(logged_in, alerts):
    # when
    page = logged_in().get(CONSOLE).content.decode()

    # then
    assert page.index("db01") < page.index("web01")
    assert 'hx-trigger="every 10s"' in page and 'hx-get="/events/live/' in page
    assert "Noise, last 7 days" in page and "Acknowledge" in page and "Shelve 4 h" in page
    filtered = logged_in().get(f"{CONSOLE}?severity=warning").content.decode()
    assert "web01" in filtered and "db01" not in filtered
    rows = logged_in().get("/events/live/?severity=critical")
    assert rows.status_code == 200 and b"db01" in rows.content and b"<html" not in rows.content
    assert b"web01" not in rows.content


def test_readers_see_no_action_buttons(logged_in, alerts):
    page = logged_in(Role.AUDITOR).get(CONSOLE).content.decode()
    assert "/acknowledge/" not in page and "Shelve 1 h" not in page


def test_an_agent_acknowledges_shelves_and_closes_from_the_console(logged_in, alerts):
    # given
    client, alert = logged_in(), alerts["db01"]
    url = f"/events/{alert.number}"

    # when the agent acknowledges it (a plain POST, as without JavaScript)
    answer = client.post(f"{url}/acknowledge/", {"version": alert.version, "next": CONSOLE})

    # then back on the console, acknowledged
    assert answer.status_code == 302 and answer["Location"] == CONSOLE
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.ACKNOWLEDGED
    client.post(f"{url}/shelve/", {"hours": "4"})
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.SHELVED
    client.post(f"{url}/close/", {"next": "https://evil.example/"})
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.CLOSED
    refused = client.post(f"{url}/acknowledge/", follow=True)
    assert b"is closed and cannot be acknowledged" in refused.content
    assert client.post(f"{url}/dance/").status_code == 404


def test_a_stale_form_and_a_bad_shelving_are_explained(logged_in, alerts):
    client, alert = logged_in(), alerts["web01"]
    client.post(f"/events/{alert.number}/acknowledge/")
    stale = client.post(f"/events/{alert.number}/close/", {"version": "1"}, follow=True)
    assert b"changed by someone else" in stale.content
    odd = client.post(f"/events/{alert.number}/shelve/", {"hours": "1000"}, follow=True)
    assert b"how long" in odd.content
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.ACKNOWLEDGED


def test_readers_may_not_act(logged_in, alerts):
    alert = alerts["web01"]
    for role in [Role.AUDITOR, Role.SERVICE_OWNER, Role.REQUESTER]:
        assert logged_in(role).post(f"/events/{alert.number}/acknowledge/").status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_the_alert_page_shows_events_history_incident_and_impact(logged_in, make_source, make_user):
    # given a CI named like the resource and a source that opens incidents for critical alerts
    create_ci(name="db01", ci_class=CiClass.SERVER, acting_user=None)
    source, _ = make_source("nagios", incident_severities=["critical"])
    ingest(source, [event("db01", "cpu", "critical", message=f"CPU {n}", minute=n) for n in (1, 2)])
    alert = Alert.objects.get()

    # when
    page = logged_in().get(f"/events/{alert.number}/").content.decode()

    # then
    assert alert.incident is not None and alert.configuration_item is not None
    assert f'href="/desk/incidents/{alert.incident.number}/"' in page
    assert "CPU 1" in page and "CPU 2" in page and "created" in page
    assert 'id="impact"' in page and "Link to incident" in page
    assert logged_in().get("/events/ALR9999999/").status_code == 404


def test_an_agent_links_an_alert_to_an_incident_by_number(logged_in, alerts, make_user):
    incident = create_incident(
        caller=make_user("rita"), short_description="Disk full", acting_user=None, channel="phone"
    )
    client, alert = logged_in(), alerts["web01"]
    client.post(f"/events/{alert.number}/link/", {"incident": incident.number.lower()})
    assert Alert.objects.get(pk=alert.pk).incident == incident
    missing = client.post(f"/events/{alert.number}/link/", {"incident": "INC404"}, follow=True)
    assert b"no incident" in missing.content
    client.post(f"/events/{alert.number}/unlink/")
    assert Alert.objects.get(pk=alert.pk).incident is None


def test_the_navigation_offers_alerts_to_staff(logged_in):
    assert b'href="/events/"' in logged_in(Role.AUDITOR).get("/").content
    assert b'href="/events/"' not in logged_in(Role.REQUESTER).get("/").content


def test_the_item_page_lists_its_recent_alerts_for_those_who_may_see_them(
    logged_in, make_source, make_group
):
    db01 = create_ci(name="db01", ci_class=CiClass.SERVER, acting_user=None)
    source, _ = make_source("nagios")
    ingest(source, [event("db01", "cpu", "critical", message="CPU <b>99%</b>")])
    alert = Alert.objects.get()
    page = logged_in(Role.AGENT).get(f"/cmdb/{db01.number}/")
    assert page.status_code == 200
    assert f'href="/events/{alert.number}/"'.encode() in page.content
    assert b"CPU &lt;b&gt;99%&lt;/b&gt;" in page.content and b"Recent alerts" in page.content
    quiet = create_ci(name="web09", ci_class=CiClass.SERVER, acting_user=None)
    assert b"No monitoring alert has named" in logged_in().get(f"/cmdb/{quiet.number}/").content


def test_the_console_says_what_waits_in_the_spool_and_what_was_set_aside(logged_in, make_source):
    source, _ = make_source()
    spool.append(source.pk, [event(), event(minute=1)], T0)
    page = logged_in().get(CONSOLE)
    assert b"2 events taken by this server, waiting to become alerts" in page.content
    spool.forget(1, {1: "DoesNotExist: gone"})
    rows = logged_in().get("/events/live/")
    assert b"waiting to become alerts" not in rows.content
    assert b"1 request of events could not be processed" in rows.content
