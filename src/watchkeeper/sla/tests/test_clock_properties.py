"""The engine against the minute-by-minute reference, on generated calendars and timelines.

Generated cases cross daylight-saving changes (New York, Berlin, Lord Howe with its half-hour
shift), holidays, one-off exceptions, intervals past midnight, pauses that start and end outside
business hours, reopen after resolve, and priority changes mid-flight.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.sla.clock import Metric, Rules, Snapshot, Status, compute
from watchkeeper.sla.tests.reference import Event, PlainCalendar, reference_clock
from watchkeeper.sla.working_time import UTC, WorkingTime

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
#: Instants a few days before daylight-saving changes of those zones in 2026.
ANCHORS = [
    dt.datetime(2026, 3, 6, 12, tzinfo=UTC),  # New York springs forward on 8 March
    dt.datetime(2026, 3, 27, 6, tzinfo=UTC),  # Berlin on 29 March
    dt.datetime(2026, 4, 3, 9, tzinfo=UTC),  # Lord Howe goes back half an hour on 5 April
    dt.datetime(2026, 10, 23, 15, tzinfo=UTC),  # Berlin falls back on 25 October
    dt.datetime(2026, 10, 30, 20, tzinfo=UTC),  # New York on 1 November
    dt.datetime(2026, 12, 23, 8, tzinfo=UTC),  # holidays season, no change
]
PAUSE_REASONS = frozenset({"awaiting_caller"})
TARGETS = {1: 60, 2: 240, 3: 480, 4: 1440, 5: 2400}  # minutes


def minute_times() -> st.SearchStrategy[dt.time]:
    return st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 10, 59]))


@st.composite
def calendars(draw: st.DrawFn) -> tuple[PlainCalendar, WorkingTime]:
    zone = draw(st.sampled_from(ZONES))
    always_open = draw(st.integers(0, 5)) == 0
    weekly = {
        day: tuple(draw(st.lists(st.tuples(minute_times(), minute_times()), max_size=2)))
        for day in range(7)
    }
    anchor_dates = [anchor.date() + dt.timedelta(days=n) for anchor in ANCHORS for n in range(8)]
    holidays = frozenset(draw(st.lists(st.sampled_from(anchor_dates), max_size=4)))
    exception_dates = draw(st.lists(st.sampled_from(anchor_dates), max_size=2, unique=True))
    exceptions = {
        date: tuple(draw(st.lists(st.tuples(minute_times(), minute_times()), max_size=2)))
        for date in exception_dates
    }
    plain = PlainCalendar(zone, weekly, holidays, exceptions, always_open)
    engine = WorkingTime(
        zone=ZoneInfo(zone),
        weekly=weekly,
        always_open=always_open,
        closed=holidays,
        exceptions=exceptions,
    )
    return plain, engine


STATES = st.sampled_from(
    [
        ("in_progress", ""),
        ("on_hold", "awaiting_caller"),
        ("on_hold", "awaiting_vendor"),
        ("resolved", ""),
        ("in_progress", ""),  # again: reopen after resolve is common
        ("closed", ""),
        ("canceled", ""),
    ]
)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[list[Event], dt.datetime]:
    at = draw(st.sampled_from(ANCHORS)) + dt.timedelta(minutes=draw(st.integers(0, 2000)))
    priority = draw(st.integers(1, 5))
    events = [Event(at, "new", priority=priority)]
    responded = False
    for _ in range(draw(st.integers(0, 5))):
        at += dt.timedelta(minutes=draw(st.integers(1, 1500)))
        state, reason = draw(STATES)
        if draw(st.integers(0, 3)) == 0:
            priority = draw(st.integers(1, 5))
        responded = responded or draw(st.booleans())
        events.append(Event(at, state, reason, priority, responded))
    now = at + dt.timedelta(minutes=draw(st.integers(0, 2000)))
    return events, now


def _snapshots(events: list[Event]) -> list[Snapshot]:
    return [Snapshot(e.at, e.state, e.reason, e.priority, e.responded) for e in events]


def _rules(metric: Metric) -> Rules:
    return Rules(
        metric=metric,
        targets={p: minutes * 60 for p, minutes in TARGETS.items()},
        pause_reasons=PAUSE_REASONS,
    )


def _ceil_minute(instant: dt.datetime) -> dt.datetime:
    seconds = instant.timestamp()
    return dt.datetime.fromtimestamp(math.ceil(seconds / 60) * 60, tz=UTC)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars(), timeline=timelines(), metric=st.sampled_from(list(Metric)))
def test_the_clock_agrees_with_counting_minute_by_minute(calendar, timeline, metric):
    plain, engine = calendar
    events, now = timeline
    expected = reference_clock(
        events,
        metric=metric.value,
        targets_minutes=TARGETS,
        pause_reasons=PAUSE_REASONS,
        calendar=plain,
        now=now,
    )

    clock = compute(_snapshots(events), _rules(metric), engine, now)
    counted = compute(_snapshots(events), _rules(metric), engine, now, explain=False)

    assert clock.elapsed == expected["elapsed"] * 60
    # the bulk path (running totals, no intervals) agrees with the walk to the microsecond
    assert (counted.elapsed, counted.marks, counted.status) == (
        clock.elapsed,
        clock.marks,
        clock.status,
    )
    assert clock.status.value == expected["status"]
    reached = {p: _ceil_minute(at) for p, at in clock.marks.items() if at <= now}
    assert reached == expected["marks"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars(), timeline=timelines(), later=st.integers(1, 6000))
def test_predicted_warnings_and_breach_are_when_they_happen(calendar, timeline, later):
    # given a clock computed now, predicting its future thresholds
    _plain, engine = calendar
    events, now = timeline
    rules = _rules(Metric.RESOLUTION)
    predicted = compute(_snapshots(events), rules, engine, now)

    # when nothing happens to the record until later
    then = now + dt.timedelta(minutes=later)
    actual = compute(_snapshots(events), rules, engine, then)

    # then every threshold reached by then was reached when predicted
    if predicted.status == Status.RUNNING:
        for percent, at in actual.marks.items():
            if at <= then:
                assert predicted.marks[percent] == at
