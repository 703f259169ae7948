"""De-duplication, idempotency, clearing, and the rules that open and resolve incidents."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from watchkeeper.accounts.system import SYSTEM_USERNAME
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import Alert, Event
from watchkeeper.events.tests.conftest import event
from watchkeeper.incidents.choices import IncidentState


def test_events_with_one_key_make_one_alert_that_counts_them(make_source):
    # given a source
    source, _ = make_source()

    # when three events of one check arrive, and one of another
    ingest(source, [event(minute=0), event(minute=1, message="97% full")])
    ingest(source, [event(minute=2), event(check="cpu", minute=2)])

    # then two alerts: the disk one counted three times, first and last seen kept
    disk = Alert.objects.get(check_name="disk")
    assert (disk.count, disk.status, disk.message) == (3, AlertStatus.OPEN, "97% full")
    assert (disk.first_seen.minute, disk.last_seen.minute) == (0, 2)
    assert Alert.objects.count() == 2 and Event.objects.filter(alert=disk).count() == 3
    assert disk.number.startswith("ALR")


def test_a_redelivered_event_counts_once(make_source):
    source, _ = make_source()
    first = ingest(source, [event(external_id="e-1"), event(external_id="e-1")])
    again = ingest(source, [event(external_id="e-1")])
    assert (first.accepted, first.duplicates, again.accepted, again.duplicates) == (1, 1, 0, 1)
    assert Alert.objects.get().count == 1


def test_ok_closes_the_alert_and_a_later_event_opens_a_new_one(make_source):
    source, _ = make_source()
    ingest(source, [event(minute=0)])
    cleared = ingest(source, [event(severity="ok", minute=5)])
    late = ingest(source, [event(minute=3)])  # from before the clearing: joins the closed alert
    again = ingest(source, [event(minute=10)])

    first, second = Alert.objects.order_by("pk")
    assert cleared.closed == [first.number]
    assert late.opened == [] and late.alerts == [first.number]
    assert (first.status, first.count, first.closed_at.minute) == (AlertStatus.CLOSED, 3, 5)
    assert again.opened == [second.number] and second.status == AlertStatus.OPEN
    assert [e.action for e in history_of(first)] == ["created", "updated"]


def test_a_critical_alert_opens_an_incident_on_the_ci_group_and_clearing_resolves_it(
    make_source, make_group
):
    # given a server supported by Unix, and a source that opens incidents for critical alerts
    unix = make_group("Unix")
    server = create_ci(
        name="web01", ci_class="server", hostname="web01.example.org", support_group=unix,
        acting_user=None,
    )  # fmt: skip
    source, _ = make_source(incident_severities=["critical"])

    # when web01 reports a full disk (as host:port), warns again, then clears
    ingest(source, [event(resource="web01.example.org:9100", message="Disk 97% full")])
    ingest(source, [event(resource="web01.example.org:9100", minute=1)])
    alert = Alert.objects.get()
    incident = alert.incident

    # then one incident, priority 1, about web01, for Unix, called in by the system
    assert alert.configuration_item == server
    assert (incident.priority, incident.configuration_item, incident.assignment_group) == (
        1, server, unix,
    )  # fmt: skip
    assert incident.caller.username == SYSTEM_USERNAME
    assert "Disk 97% full" in incident.short_description
    ingest(source, [event(resource="web01.example.org:9100", severity="ok", minute=9)])
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert verify_history() == []


def test_warnings_do_not_open_incidents_until_they_escalate(make_source):
    source, _ = make_source(incident_severities=["critical"])
    ingest(source, [event(severity="warning")])
    assert Alert.objects.get().incident is None
    ingest(source, [event(severity="critical", minute=1)])
    assert Alert.objects.get().incident is not None


def test_a_key_firing_again_adds_to_its_open_incident(make_source):
    source, _ = make_source(incident_severities=["critical"], resolve_incidents=False)
    ingest(source, [event(minute=0)])
    ingest(source, [event(severity="ok", minute=1)])
    ingest(source, [event(minute=2)])
    first, second = Alert.objects.order_by("pk")
    assert first.incident == second.incident
    assert second.incident.activities.filter(body__contains=second.number).exists()


def test_the_key_template_decides_what_is_one_alert(make_source):
    source, _ = make_source(key_template="{labels[alertname]}")
    ingest(source, [event(resource="a", labels={"alertname": "Down"})])
    ingest(source, [event(resource="b", labels={"alertname": "Down"})])
    assert Alert.objects.get().count == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_events_make_one_alert_and_no_error(make_source):
    # given a source, and eight threads ready to send the first event of one key at once
    source, _ = make_source()
    barrier, errors = threading.Barrier(8), []

    def send(n: int) -> None:
        try:
            barrier.wait()
            ingest(source, [event(external_id=f"e{n}")])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one alert with all eight events, and no error
    assert errors == []
    assert Alert.objects.get().count == 8


def test_an_ok_closes_a_shelved_alert_for_good(make_source):
    from watchkeeper.events import actions

    source, _ = make_source()
    ingest(source, [event()])
    alert = Alert.objects.get()
    actions.shelve(
        alert, until=timezone.now() + dt.timedelta(hours=4), acting_user=None, channel="web"
    )
    ingest(source, [event(severity="ok", minute=5)])
    alert.refresh_from_db()
    assert (alert.status, alert.shelved_until) == (AlertStatus.CLOSED, None)
