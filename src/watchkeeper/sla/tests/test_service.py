"""Clocks kept in step with incidents: computed from history on every change, explainable,
recomputed when the configuration changes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.models import Incident
from watchkeeper.sla import actions, service
from watchkeeper.sla.models import SlaClock
from watchkeeper.sla.tests.conftest import berlin
from watchkeeper.sla.working_time import UTC


def _clock(incident) -> SlaClock:
    return SlaClock.objects.for_record(incident).get()


def _at(instant: dt.datetime):
    return time_machine.travel(instant, tick=False)


def _report(make_incident, requester, agent, desk, **fields):
    return make_incident(
        "VPN drops every hour",
        caller=requester,
        acting_user=agent,
        channel=Channel.PHONE,
        assignment_group=desk,
        assignee=agent,
        **fields,
    )


def test_the_clock_pauses_for_the_caller_and_skips_nights_and_holidays(
    make_definition, office, make_incident, requester, agent, desk
):
    # given an 8-hour resolution SLA on Berlin office hours, with Tuesday 1 December a holiday
    make_definition()
    actions.set_holiday(office, dt.date(2026, 12, 1), "Company day", acting_user=None)

    # when an incident comes in on Monday at 10:00, waits for its caller 12:00-15:00
    with _at(berlin(2026, 11, 30, 10)):
        incident = _report(make_incident, requester, agent, desk)
    with _at(berlin(2026, 11, 30, 12)):
        incident_actions.put_on_hold(incident, reason="awaiting_caller", acting_user=agent)
    with _at(berlin(2026, 11, 30, 15)):
        incident_actions.start_work(incident, acting_user=agent)

    # then on Wednesday at 10:00 five business hours are gone and it is due at 13:00
    with _at(berlin(2026, 12, 2, 10)):
        clock = service.refresh(incident)[0]
    assert clock.status == "running"
    assert clock.elapsed_seconds == 5 * 3600
    assert clock.due_at == berlin(2026, 12, 2, 13).astimezone(UTC)
    assert clock.marks["50"] == berlin(2026, 11, 30, 17).astimezone(UTC).isoformat()
    # and its intervals, recomputed from the history, explain every minute since the report
    with _at(berlin(2026, 12, 2, 10)):
        [(_stored, explained)] = service.explain(incident)
    kinds = [(s.start, s.end, s.kind, s.reason) for s in explained.stretches]
    utc = [berlin(2026, 11, 30, h).astimezone(UTC) for h in (10, 12, 15, 17)]
    wednesday = [berlin(2026, 12, 2, h).astimezone(UTC) for h in (9, 10)]
    assert kinds == [
        (utc[0], utc[1], "running", ""),
        (utc[1], utc[2], "paused", "awaiting_caller"),
        (utc[2], utc[3], "running", ""),
        (utc[3], wednesday[0], "outside_hours", ""),
        (wednesday[0], wednesday[1], "running", ""),
    ]


def test_resolving_stops_the_clock_and_a_reopen_resumes_it(
    make_definition, make_incident, requester, agent, desk
):
    make_definition()
    with _at(berlin(2026, 11, 30, 9)):
        incident = _report(make_incident, requester, agent, desk)
    with _at(berlin(2026, 11, 30, 11)):
        incident_actions.resolve(
            incident, code="solved_permanently", notes="Router replaced", acting_user=agent
        )
    assert _clock(incident).status == "met"
    assert _clock(incident).elapsed_seconds == 2 * 3600

    with _at(berlin(2026, 11, 30, 14)):
        incident_actions.reopen(incident, reason="Still drops", acting_user=requester)
    with _at(berlin(2026, 11, 30, 15)):
        clock = service.refresh(incident)[0]
    assert clock.status == "running"
    assert clock.elapsed_seconds == 3 * 3600  # 9-11 and 14-15; the resolved time does not count
    assert clock.due_at == berlin(2026, 12, 1, 12).astimezone(UTC)  # 2 h Monday, 3 Tuesday


def test_a_priority_change_changes_the_target_not_the_elapsed_time(
    make_definition, make_incident, requester, agent, manager, desk
):
    # given P1 incidents have 2 hours, others 8
    make_definition()
    with _at(berlin(2026, 11, 30, 9)):
        incident = _report(make_incident, requester, agent, desk)
    assert _clock(incident).target_seconds == 8 * 3600

    # when three hours later it becomes a P1
    with _at(berlin(2026, 11, 30, 12)):
        incident_actions.override_priority(
            incident, priority=1, reason="Whole floor affected", acting_user=manager
        )

    # then the target is 2 hours, the 3 hours stay, and the breach was at 11:00
    clock = _clock(incident)
    assert (clock.target_seconds, clock.elapsed_seconds) == (2 * 3600, 3 * 3600)
    assert clock.breached_at == berlin(2026, 11, 30, 11).astimezone(UTC)


def test_changing_the_calendar_recomputes_open_clocks_and_is_recorded(
    make_definition, office, make_incident, requester, agent, desk,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    make_definition()
    with _at(berlin(2026, 11, 30, 16)):
        incident = _report(make_incident, requester, agent, desk)
    assert _clock(incident).due_at == berlin(2026, 12, 1, 16).astimezone(UTC)

    # when the office opens 08:00-18:00 from now on (retroactively, as calendars are)
    with _at(berlin(2026, 11, 30, 16, 30)), django_capture_on_commit_callbacks(execute=True):
        longer = [(day, dt.time(8), dt.time(18)) for day in range(5)]
        actions.save_calendar(office, acting_user=None, hours=longer)

    # then the open incident's due time moved, and the calendar's history says why
    assert _clock(incident).due_at == berlin(2026, 12, 1, 14).astimezone(UTC)
    assert verify_history() == []
    last = history_of(office).last()
    assert last is not None and last.action == "changed" and "hours" in last.changes


def test_only_matching_definitions_run_and_a_cancelled_incident_stops_them(
    make_definition, make_incident, requester, agent, desk
):
    make_definition("Phone only", channels=["phone"])
    make_definition("Portal only", channels=["portal"])
    with _at(berlin(2026, 11, 30, 9)):
        incident = _report(make_incident, requester, agent, desk)
    clocks = SlaClock.objects.for_record(incident).select_related("definition")
    assert [clock.definition.name for clock in clocks] == ["Phone only"]

    with _at(berlin(2026, 11, 30, 10)):
        incident_actions.cancel(incident, reason="Duplicate", acting_user=agent)
    assert _clock(incident).status == "cancelled"
    assert _clock(incident).next_event_at is None


@pytest.mark.django_db(transaction=True)
def test_recomputing_in_processes_writes_what_one_process_writes(
    make_definition, make_incident, requester, agent, desk, monkeypatch
):
    # given twelve open incidents under one SLA, their clocks then deleted
    monkeypatch.setattr(service, "BATCH", 2)  # small batches, so that ranges split
    make_definition()
    with _at(berlin(2026, 11, 30, 9)):
        incidents = [_report(make_incident, requester, agent, desk) for _ in range(12)]
    expected = {c.object_id: c.due_at for c in SlaClock.objects.all()}
    SlaClock.objects.all().delete()

    # when they are recomputed by two processes
    with _at(berlin(2026, 11, 30, 10)):
        written = service.recompute_in_processes(Incident.objects.open(), 2)

    # then every clock is back, as computed before
    assert written == 12
    assert {c.object_id: c.due_at for c in SlaClock.objects.all()} == expected
    assert len(expected) == len(incidents)
