"""Warnings and breaches fire once, at the right business time, through the real job queue.

The queue is Huey's, not its immediate mode: a simulated consumer does what the real one does
each minute (the scheduler enqueues due periodic and scheduled jobs, a worker dequeues and
executes them), while the clock of the test walks through a Friday evening, a weekend and a
Monday morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from watchkeeper.core.choices import Channel
from watchkeeper.core.jobs import HUEY
from watchkeeper.core.models import Notification
from watchkeeper.sla import thresholds
from watchkeeper.sla.models import SlaClock
from watchkeeper.sla.tests.conftest import berlin
from watchkeeper.sla.working_time import UTC


@pytest.fixture
def real_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Huey with its storage, serialisation, scheduler reads and execution. Only the worker's
    closing of stale database connections is left out: it would close the test's transaction
    (and with it the test database)."""
    monkeypatch.setattr("huey.contrib.djhuey.close_old_connections", lambda: None)
    HUEY.immediate = False
    HUEY.flush()
    yield
    HUEY.flush()
    HUEY.immediate = True


def run_queue_at(instant: dt.datetime) -> int:
    """One tick of a Huey consumer at ``instant``: enqueue what is due, run everything queued."""
    naive_utc = instant.astimezone(UTC).replace(tzinfo=None)
    for task in HUEY.read_periodic(naive_utc):
        HUEY.enqueue(task)
    for task in HUEY.read_schedule(naive_utc):
        HUEY.enqueue(task)
    ran = 0
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
        ran += 1
    return ran


def minutes(start: dt.datetime, end: dt.datetime, step: int = 1) -> Iterator[dt.datetime]:
    at = start
    while at <= end:
        yield at
        at += dt.timedelta(minutes=step)


def test_warnings_and_the_breach_fire_once_at_business_time(
    real_queue, make_definition, make_incident, requester, agent, manager, desk
):
    # given a one-hour SLA warning the assignee at 50% and the group's manager at the breach
    desk.manager = manager
    desk.save(update_fields=["manager"])
    make_definition(
        targets={None: 60},
        thresholds=[50, 90],
        actions=[(50, "notify_assignee", None), (100, "notify_group_manager", None)],
    )
    # and an incident assigned to the agent on Friday 4 December at 16:30 (Berlin)
    with time_machine.travel(berlin(2026, 12, 4, 16, 30), tick=False):
        incident = make_incident(
            "Payroll export fails", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk, assignee=agent,
        )  # fmt: skip
    sent: dict[str, list[dt.datetime]] = {"alex": [], "morgan": []}

    # when the consumer runs every minute on Friday evening and Monday morning, and every hour
    # over the weekend (twice at each minute, as a restarted consumer might)
    friday = minutes(berlin(2026, 12, 4, 16, 30), berlin(2026, 12, 4, 17, 10))
    weekend = minutes(berlin(2026, 12, 4, 18), berlin(2026, 12, 7, 8), step=60)
    monday = minutes(berlin(2026, 12, 7, 8, 50), berlin(2026, 12, 7, 9, 40))
    for instant in [*friday, *weekend, *monday]:
        with time_machine.travel(instant, tick=False):
            before = Notification.objects.count()
            run_queue_at(instant)
            run_queue_at(instant)
            for note in Notification.objects.order_by("pk")[before:]:
                if "SLA" in note.title:
                    sent[note.user.username].append(instant)

    # then the assignee heard once, at 17:00 on Friday (half of the hour gone), and the manager
    # once, at 09:30 on Monday (the other half used from 09:00)
    assert sent == {"alex": [berlin(2026, 12, 4, 17)], "morgan": [berlin(2026, 12, 7, 9, 30)]}
    clock = SlaClock.objects.for_record(incident).get()
    assert clock.fired == [50, 90, 100]
    assert clock.breached_at == berlin(2026, 12, 7, 9, 30).astimezone(UTC)
    assert clock.next_event_at is None
    # and nothing is left for a later run
    with time_machine.travel(berlin(2026, 12, 7, 12), tick=False):
        assert thresholds.fire_due() == 0


def test_raise_priority_and_reassign_go_through_the_incident_actions(
    make_definition, make_incident, requester, agent, desk, make_group
):
    escalation = make_group("Second line")
    make_definition(
        targets={None: 60},
        actions=[(90, "raise_priority", None), (100, "reassign", escalation)],
    )
    with time_machine.travel(berlin(2026, 12, 7, 9), tick=False):
        incident = make_incident(
            "Shared drive slow", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk,
        )  # fmt: skip
    start_priority = incident.priority

    with time_machine.travel(berlin(2026, 12, 7, 10, 1), tick=False):
        assert thresholds.fire_due() == 4  # 50 and 75 (no actions), 90 and 100

    incident.refresh_from_db()
    assert incident.priority == start_priority - 1
    assert incident.assignment_group == escalation
    actions_seen = [e.action for e in incident_history(incident)]
    assert "priority_overridden" in actions_seen and "assigned" in actions_seen


def incident_history(incident):
    from watchkeeper.core.history import history_of

    return list(history_of(incident))


def test_old_thresholds_of_a_finished_clock_are_recorded_without_notifying(
    make_definition, make_incident, requester, agent, desk
):
    # given an incident that breached and was resolved long ago, its clock never swept
    make_definition(targets={None: 60}, actions=[(100, "notify_assignee", None)])
    with time_machine.travel(berlin(2026, 11, 2, 9), tick=False):
        incident = make_incident(
            "Old printer", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk, assignee=agent,
        )  # fmt: skip
    with time_machine.travel(berlin(2026, 11, 2, 12), tick=False):
        from watchkeeper.incidents import actions

        actions.resolve(incident, code="solved_permanently", notes="New one", acting_user=agent)

    # when the sweep first sees it weeks later
    before = Notification.objects.filter(title__contains="SLA").count()
    with time_machine.travel(berlin(2026, 11, 30, 9), tick=False):
        acted = thresholds.fire_due()

    # then the thresholds are recorded as handled, and nobody is told about old news
    clock = SlaClock.objects.for_record(incident).get()
    assert acted == 4 and clock.fired == [50, 75, 90, 100]
    assert clock.breached_at == berlin(2026, 11, 2, 10).astimezone(UTC)
    assert Notification.objects.filter(title__contains="SLA").count() == before
