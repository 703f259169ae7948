"""The SLA clock, computed from a record's timeline: pure functions, no database.

The timeline is what the record's history says about it, as ``Snapshot``s (the state, hold
reason, priority and whether it has had its first response, from a moment on). ``compute``
walks it with a definition's ``Rules`` and a ``WorkingTime`` and answers every interval
(running, paused with its reason, outside business hours, stopped), the business time elapsed,
the target, when each warning threshold and the breach fall, and the due time.

The response clock runs until the first response by an agent, or the resolution, and a reopen
does not restart it; the resolution clock stops at the resolution and a reopen resumes it (the
time spent resolved does not count).

The target is the one for the record's priority now: when the priority changes mid-flight the
target changes and the elapsed time does not, so a record raised to P1 after five hours of a
four-hour P1 target has breached, at the moment its fourth hour ran out.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from watchkeeper.sla.choices import ClockStatus as Status
from watchkeeper.sla.choices import Metric
from watchkeeper.sla.working_time import UTC, WorkingTime

__all__ = ["Clock", "Kind", "Metric", "Rules", "Snapshot", "Status", "Stretch", "compute"]


class Kind(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    OUTSIDE_HOURS = "outside_hours"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Snapshot:
    """The record as the SLA sees it from ``at`` until the next snapshot."""

    at: dt.datetime
    state: str
    hold_reason: str = ""
    priority: int | None = None
    responded: bool = False
    group: int | None = None  # the assignment group's id


@dataclass(frozen=True)
class Rules:
    """What an SLA definition says about its clock."""

    metric: Metric
    #: Target in business seconds per priority; the key ``None`` is the default.
    targets: Mapping[int | None, float]
    #: Hold reasons that pause the clock while the record is on hold (empty: holds never pause).
    pause_reasons: frozenset[str] = frozenset()
    #: States that pause the clock whatever the reason.
    pause_states: frozenset[str] = frozenset()
    #: States in which the work is done (the clock stops, met) and that end it (cancelled).
    done_states: frozenset[str] = frozenset({"resolved", "closed"})
    cancel_states: frozenset[str] = frozenset({"canceled"})
    hold_state: str = "on_hold"
    #: An OLA: the clock runs only while one of these groups holds the record.
    groups: frozenset[int] = frozenset()
    #: An underpinning contract: the clock runs only while the record waits on this hold
    #: reason (the vendor's time).
    runs_only_on_hold: str = ""
    #: Warning thresholds, percent of the target.
    thresholds: tuple[int, ...] = (50, 75, 90)

    def target_for(self, priority: int | None) -> float:
        if priority in self.targets:
            return self.targets[priority]
        if None in self.targets:
            return self.targets[None]
        raise ValueError(f"No target for priority {priority} and no default target.")


@dataclass(frozen=True)
class Stretch:
    start: dt.datetime
    end: dt.datetime
    kind: Kind
    reason: str = ""


@dataclass
class Clock:
    status: Status
    elapsed: float  # business seconds counted, up to ``now``
    target: float
    stretches: list[Stretch]
    #: Instants at which the elapsed time reached each threshold (percent -> instant), past or
    #: (while running) future; a threshold not reached and not reachable is absent.
    marks: dict[int, dt.datetime] = field(default_factory=dict)
    stopped_at: dt.datetime | None = None

    @property
    def breached_at(self) -> dt.datetime | None:
        return self.marks.get(100)

    def breached(self, now: dt.datetime) -> bool:
        return self.breached_at is not None and self.breached_at <= now

    @property
    def due_at(self) -> dt.datetime | None:
        """When the target runs out, if the clock runs on: None while paused or stopped."""
        return self.breached_at if self.status == Status.RUNNING else None

    def remaining(self) -> float:
        return max(0.0, self.target - self.elapsed)


def mode(rules: Rules, snapshot: Snapshot) -> tuple[Kind | Status, str]:
    """What the clock does while ``snapshot`` holds: run, pause (why), stop, or cancel."""
    if snapshot.state in rules.cancel_states:
        return Status.CANCELLED, snapshot.state
    if snapshot.state in rules.done_states:
        return Kind.STOPPED, snapshot.state
    if rules.metric == Metric.RESPONSE and snapshot.responded:
        return Kind.STOPPED, "responded"
    on_hold = snapshot.state == rules.hold_state
    if rules.runs_only_on_hold:
        if on_hold and snapshot.hold_reason == rules.runs_only_on_hold:
            return Kind.RUNNING, ""
        return Kind.PAUSED, f"not {rules.runs_only_on_hold}"
    if rules.groups and snapshot.group not in rules.groups:
        return Kind.PAUSED, "other group"
    if snapshot.state in rules.pause_states:
        return Kind.PAUSED, snapshot.state
    if on_hold and snapshot.hold_reason in rules.pause_reasons:
        return Kind.PAUSED, snapshot.hold_reason
    return Kind.RUNNING, ""


def compute(
    timeline: Sequence[Snapshot],
    rules: Rules,
    hours: WorkingTime,
    now: dt.datetime,
    *,
    explain: bool = True,
) -> Clock:
    """The clock at ``now`` for a record whose timeline starts with its creation.

    With ``explain`` false the intervals are not listed (``stretches`` stays empty): what a
    bulk recompute stores needs only the figures."""
    if not timeline:
        raise ValueError("A clock needs at least the record's creation.")
    now = now.astimezone(UTC)
    points = _effective([s for s in timeline if s.at <= now] or [timeline[0]])
    current = points[-1]
    target = rules.target_for(current.priority)
    wanted = {percent: target * percent / 100 for percent in (*rules.thresholds, 100)}
    clock = Clock(status=Status.RUNNING, elapsed=0.0, target=target, stretches=[])
    add = _add if explain else _skip
    response_stop = rules.metric == Metric.RESPONSE
    for index, snapshot in enumerate(points):
        start = snapshot.at.astimezone(UTC)
        end = points[index + 1].at.astimezone(UTC) if index + 1 < len(points) else now
        what, reason = mode(rules, snapshot)
        if what == Status.CANCELLED:
            clock.status, clock.stopped_at = Status.CANCELLED, start
            add(clock, Stretch(start, max(start, now), Kind.STOPPED, reason))
            return clock
        if what == Kind.STOPPED and response_stop:
            # A response, once given, ends the response clock for good (a reopen does not
            # ask for a new first response).
            clock.status, clock.stopped_at = Status.MET, start
            add(clock, Stretch(start, max(start, now), Kind.STOPPED, reason))
            return clock
        if end <= start:
            continue
        if what == Kind.RUNNING and not explain:
            _count(clock, hours, start, end, wanted)
        elif what == Kind.RUNNING:
            _run(clock, hours, start, end, wanted, add)
        else:
            add(clock, Stretch(start, end, Kind(what), reason))
    what, _reason = mode(rules, current)
    if what == Kind.RUNNING:
        clock.status = Status.RUNNING
        coming = [(p, s - clock.elapsed) for p, s in wanted.items() if p not in clock.marks]
        instants = hours.add_each(now, [amount for _percent, amount in coming])
        for (percent, _amount), instant in zip(coming, instants, strict=True):
            if instant is not None:  # None: a calendar that never opens again, never due
                clock.marks[percent] = instant
    elif what == Kind.PAUSED:
        clock.status = Status.PAUSED
    else:
        clock.status, clock.stopped_at = Status.MET, current.at.astimezone(UTC)
    return clock


def _effective(snapshots: Sequence[Snapshot]) -> list[Snapshot]:
    """In order of time; of several at the same instant (one transaction) the last counts."""
    if all(a.at < b.at for a, b in itertools.pairwise(snapshots)):
        return list(snapshots)  # the usual case, from a history in order
    ordered = sorted(enumerate(snapshots), key=lambda pair: (pair[1].at, pair[0]))
    result: list[Snapshot] = []
    for _index, snapshot in ordered:
        if result and result[-1].at == snapshot.at:
            result[-1] = snapshot
        else:
            result.append(snapshot)
    return result


def _run(
    clock: Clock,
    hours: WorkingTime,
    start: dt.datetime,
    end: dt.datetime,
    wanted: Mapping[int, float],
    add: Callable[[Clock, Stretch], None],
) -> None:
    """Count the open time of [start, end) and note the thresholds crossed in it."""
    cursor = start
    for opened, closed in hours.open_intervals(start, end):
        if opened > cursor:
            add(clock, Stretch(cursor, opened, Kind.OUTSIDE_HOURS))
        before = clock.elapsed
        clock.elapsed += (closed - opened).total_seconds()
        for percent, seconds in wanted.items():
            if percent not in clock.marks and before < seconds <= clock.elapsed:
                clock.marks[percent] = opened + dt.timedelta(seconds=seconds - before)
        add(clock, Stretch(opened, closed, Kind.RUNNING))
        cursor = closed
    if cursor < end:
        add(clock, Stretch(cursor, end, Kind.OUTSIDE_HOURS))


def _count(
    clock: Clock,
    hours: WorkingTime,
    start: dt.datetime,
    end: dt.datetime,
    wanted: Mapping[int, float],
) -> None:
    """``_run`` without listing intervals: the open time of [start, end) from the calendar's
    running total, and each threshold crossed found by adding business time."""
    before = clock.elapsed
    pending = [(p, s - before) for p, s in wanted.items() if p not in clock.marks and s > before]
    seconds, instants = hours.count(start, end, [amount for _p, amount in pending])
    clock.elapsed += seconds
    for (percent, _amount), instant in zip(pending, instants, strict=True):
        if instant is not None:
            clock.marks[percent] = instant


def _skip(clock: Clock, stretch: Stretch) -> None:
    """Intervals not wanted (``explain=False``)."""


def _add(clock: Clock, stretch: Stretch) -> None:
    """Append, joining a stretch to the previous one of the same kind and reason."""
    last = clock.stretches[-1] if clock.stretches else None
    if (
        last is not None
        and last.kind == stretch.kind
        and last.reason == stretch.reason
        and last.end == stretch.start
    ):
        clock.stretches[-1] = Stretch(last.start, stretch.end, last.kind, last.reason)
    elif stretch.end > stretch.start or not clock.stretches:
        clock.stretches.append(stretch)
