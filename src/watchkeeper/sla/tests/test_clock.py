"""The clock's rules the minute-by-minute reference does not model: pausing by state, OLAs that
run only with their groups, contracts that run only while the vendor holds the record."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from watchkeeper.sla.clock import Metric, Rules, Snapshot, Status, compute
from watchkeeper.sla.working_time import UTC, WorkingTime

ALWAYS = WorkingTime(zone=ZoneInfo("UTC"), always_open=True)
T0 = dt.datetime(2026, 11, 30, 9, tzinfo=UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def hours(seconds: float) -> float:
    return seconds / 3600


TIMELINE = [
    Snapshot(at(0), "new", priority=3, group=1),
    Snapshot(at(1), "on_hold", "awaiting_vendor", priority=3, group=1),
    Snapshot(at(3), "in_progress", priority=3, group=2),
    Snapshot(at(6), "in_progress", priority=3, group=1),
]


def test_a_paused_state_pauses_whatever_the_reason():
    rules = Rules(Metric.RESOLUTION, {None: 36_000}, pause_states=frozenset({"on_hold"}))
    clock = compute(TIMELINE, rules, ALWAYS, at(8))
    assert hours(clock.elapsed) == 6  # 0-1 and 3-8
    assert [s.reason for s in clock.stretches if s.kind == "paused"] == ["on_hold"]


def test_an_ola_runs_only_while_its_group_holds_the_record():
    rules = Rules(Metric.RESOLUTION, {None: 36_000}, groups=frozenset({1}))
    clock = compute(TIMELINE, rules, ALWAYS, at(8))
    assert hours(clock.elapsed) == 5  # with group 1: 0-3 (the hold does not pause it) and 6-8
    assert any(s.reason == "other group" for s in clock.stretches)


def test_a_contract_runs_only_while_the_vendor_is_awaited():
    rules = Rules(Metric.RESOLUTION, {None: 3_600}, runs_only_on_hold="awaiting_vendor")
    clock = compute(TIMELINE, rules, ALWAYS, at(8))
    assert hours(clock.elapsed) == 2 and clock.status == Status.PAUSED
    assert clock.breached_at == at(2)  # the vendor's hour ran out an hour into the hold
