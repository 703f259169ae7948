"""A plain minute-by-minute SLA clock, written without the engine's code, for the property tests.

It asks of every minute: what was the record's state then, does the SLA run in that state, and
was the calendar open at that minute's wall-clock time? Slow and obviously right; the engine
must agree with it to the second whenever every time involved falls on a whole minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class PlainCalendar:
    zone: str
    weekly: Mapping[int, Sequence[tuple[dt.time, dt.time]]]
    holidays: frozenset[dt.date] = frozenset()
    exceptions: Mapping[dt.date, Sequence[tuple[dt.time, dt.time]]] = None  # type: ignore[assignment]
    always_open: bool = False

    def hours(self, date: dt.date) -> Sequence[tuple[dt.time, dt.time]]:
        if self.exceptions and date in self.exceptions:
            return self.exceptions[date]
        if date in self.holidays:
            return ()
        return self.weekly.get(date.weekday(), ())

    def is_open(self, instant: dt.datetime) -> bool:
        """Is the wall-clock time of ``instant`` inside an interval that started that day or,
        for one past midnight, the day before?"""
        if self.always_open:
            return True
        wall = instant.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)
        for date in (wall.date(), wall.date() - dt.timedelta(days=1)):
            for start, end in self.hours(date):
                opens = dt.datetime.combine(date, start)
                closes = dt.datetime.combine(date, end)
                if closes <= opens:
                    closes += dt.timedelta(days=1)
                if opens <= wall < closes:
                    return True
        return False


@dataclass(frozen=True)
class Event:
    """From ``at`` on, the record is in ``state`` (with ``reason`` if on hold) at ``priority``;
    ``responded`` once the first response was given."""

    at: dt.datetime
    state: str
    reason: str = ""
    priority: int = 3
    responded: bool = False


def reference_clock(
    events: Sequence[Event],
    *,
    metric: str,
    targets_minutes: Mapping[int, int],
    pause_reasons: frozenset[str],
    calendar: PlainCalendar,
    now: dt.datetime,
    thresholds: Sequence[int] = (50, 75, 90),
) -> dict:
    """Elapsed business minutes at ``now``, the status, and the instant each threshold (and 100
    for the breach) was reached, counting minute by minute from the first event."""
    current = [e for e in events if e.at <= now][-1]
    target = targets_minutes[current.priority]
    marks: dict[int, dt.datetime] = {}
    elapsed = 0
    minute = events[0].at
    status = "running"
    while minute < now:
        event = [e for e in events if e.at <= minute][-1]
        if event.state == "canceled":
            return {"status": "cancelled", "elapsed": elapsed, "marks": marks}
        stopped = event.state in ("resolved", "closed")
        if metric == "response" and (event.responded or stopped):
            return {"status": "met", "elapsed": elapsed, "marks": marks}
        paused = event.state == "on_hold" and event.reason in pause_reasons
        if not stopped and not paused and calendar.is_open(minute):
            elapsed += 1
            for percent in (*thresholds, 100):
                if percent not in marks and elapsed * 100 >= target * percent:
                    marks[percent] = minute + MINUTE
        minute += MINUTE
    if current.state == "canceled":
        status = "cancelled"
    elif current.state in ("resolved", "closed") or (metric == "response" and current.responded):
        status = "met"
    elif current.state == "on_hold" and current.reason in pause_reasons:
        status = "paused"
    return {"status": status, "elapsed": elapsed, "marks": marks}
