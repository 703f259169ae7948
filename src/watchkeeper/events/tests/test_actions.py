"""Alert actions: acknowledge, shelve, close, link; their permission, state rules, versions,
history; and the job that un-shelves alerts when their time is up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of
from watchkeeper.events import actions
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.tasks import unshelve_alerts, unshelve_due
from watchkeeper.events.tests.conftest import event
from watchkeeper.incidents.actions import create_incident

WEB = "web"


@pytest.fixture
def alert(make_source):
    source, _ = make_source()
    ingest(source, [event()])
    return Alert.objects.get()


@pytest.fixture
def agent(make_user):
    return make_user("adam", Role.AGENT)


def test_an_agent_acknowledges_and_gives_back_an_alert_with_history(alert, agent):
    # when
    acknowledged = actions.acknowledge(alert, acting_user=agent, channel=WEB)
    reopened = actions.unacknowledge(acknowledged, acting_user=agent, channel=WEB)

    # then
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED
    assert reopened.status == AlertStatus.OPEN and reopened.version == alert.version + 2
    entries = list(history_of(alert))
    assert [e.action for e in entries][-2:] == ["acknowledged", "unacknowledged"]
    assert entries[-2].actor == agent and entries[-2].channel == WEB
    assert entries[-2].changes["status"]["new"] == "acknowledged"


def test_shelving_needs_a_time_in_the_next_30_days(alert, agent):
    now = timezone.now()
    for until in [now - dt.timedelta(minutes=1), now + dt.timedelta(days=31)]:
        with pytest.raises(ValidationError) as refused:
            actions.shelve(alert, until=until, acting_user=agent, channel=WEB)
        assert "until" in refused.value.message_dict

    shelved = actions.shelve(
        alert, until=now + dt.timedelta(hours=4), acting_user=agent, channel=WEB
    )
    assert shelved.status == AlertStatus.SHELVED and shelved.shelved_until is not None
    back = actions.unshelve(shelved, acting_user=agent, channel=WEB)
    assert back.status == AlertStatus.OPEN and back.shelved_until is None


def test_a_closed_alert_cannot_be_acknowledged_or_shelved(alert, agent):
    # given
    closed = actions.close(alert, acting_user=agent, channel=WEB, note="Fixed by hand")
    assert closed.status == AlertStatus.CLOSED and closed.closed_at is not None
    assert list(history_of(alert))[-1].changes["note"]["new"] == "Fixed by hand"

    # then
    until = timezone.now() + dt.timedelta(hours=1)
    for act in [
        lambda: actions.acknowledge(closed, acting_user=agent, channel=WEB),
        lambda: actions.shelve(closed, until=until, acting_user=agent, channel=WEB),
        lambda: actions.close(closed, acting_user=agent, channel=WEB),
    ]:
        with pytest.raises(ValidationError, match="closed"):
            act()


def test_only_those_who_work_events_may_act(alert, make_user):
    for role in [Role.AUDITOR, Role.SERVICE_OWNER, Role.REQUESTER]:
        with pytest.raises(PermissionDenied):
            actions.acknowledge(alert, acting_user=make_user(None, role), channel=WEB)
    actions.acknowledge(alert, acting_user=make_user(None, Role.RESOLVER), channel=WEB)


def test_a_stale_version_is_refused(alert, agent):
    actions.acknowledge(alert, acting_user=agent, channel=WEB, expected_version=alert.version)
    with pytest.raises(Conflict):
        actions.close(alert, acting_user=agent, channel=WEB, expected_version=alert.version)
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED


def test_an_alert_is_linked_to_an_incident_and_unlinked(alert, agent, make_user):
    # given
    incident = create_incident(
        caller=make_user("rita"), short_description="Disk full", acting_user=agent,
        channel="phone",
    )  # fmt: skip

    # when
    linked = actions.link_incident(alert, incident, acting_user=agent, channel=WEB)

    # then
    assert linked.incident == incident
    with pytest.raises(ValidationError, match="already linked"):
        actions.link_incident(linked, incident, acting_user=agent, channel=WEB)
    assert actions.unlink_incident(linked, acting_user=agent, channel=WEB).incident is None
    assert [e.action for e in history_of(alert)][-2:] == ["incident_linked", "incident_unlinked"]


def test_the_job_unshelves_alerts_whose_time_is_up(alert, agent):
    # given one alert shelved for an hour
    until = timezone.now() + dt.timedelta(hours=1)
    actions.shelve(alert, until=until, acting_user=agent, channel=WEB)

    # when the job runs before and after the hour
    assert unshelve_due() == 0
    with time_machine.travel(until + dt.timedelta(minutes=1)):
        unshelve_alerts()
        again = unshelve_due()

    # then it came back once, by the job
    current = Alert.objects.get()
    assert current.status == AlertStatus.OPEN and again == 0
    last = list(history_of(current))[-1]
    assert (last.action, last.channel, last.actor) == ("unshelved", "job", None)


def test_the_job_leaves_an_alert_shelved_again_since_it_looked(alert, agent):
    now = timezone.now()
    actions.shelve(alert, until=now + dt.timedelta(hours=2), acting_user=agent, channel=WEB)
    with pytest.raises(ValidationError):
        actions.unshelve(alert, acting_user=None, channel="job", due_at=now)
    assert Alert.objects.get().status == AlertStatus.SHELVED
