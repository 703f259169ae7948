"""Business time: when a calendar is open, how much open time lies between two instants, and
when a given amount of it has passed. Pure functions over ``WorkingTime``; no database.

A calendar's hours are wall-clock intervals per weekday in its time zone. An interval whose end
is not after its start runs past midnight into the next day (22:00-06:00) and belongs to the day
it starts on; a holiday closes the intervals that start on it. A one-off exception replaces a
date's hours (an empty exception closes the date).

"Open" means: the instant's wall-clock time in the calendar's zone lies in one of the intervals.
Across daylight-saving changes this is exact: an interval over the spring-forward gap is an hour
shorter in real time, and one over the autumn repeat is an hour longer (the repeated wall-clock
hour counts twice) or, when it starts inside the repeated hour, open twice. Instants are aware
datetimes; results are in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
#: Enough to find every open instant of a date from its wall-clock intervals: offsets lie
#: within ±26 hours, and an interval past midnight ends the next day.
MARGIN = dt.timedelta(hours=27)

Interval = tuple[dt.datetime, dt.datetime]
WallHours = tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True)
class WorkingTime:
    """A calendar, ready to compute with (``sla.models.Calendar.working_time()`` builds one)."""

    zone: ZoneInfo
    #: Per weekday (Monday = 0), the (start, end) wall-clock intervals; end <= start runs past
    #: midnight. Ignored when ``always_open``.
    weekly: Mapping[int, WallHours] = field(default_factory=dict)
    always_open: bool = False
    #: Dates whose own intervals are closed (holidays).
    closed: frozenset[dt.date] = frozenset()
    #: Dates whose intervals are replaced (a one-off exception; empty means closed).
    exceptions: Mapping[dt.date, WallHours] = field(default_factory=dict)

    def hours_on(self, date: dt.date) -> WallHours:
        """The wall-clock intervals that start on ``date``."""
        if date in self.exceptions:
            return self.exceptions[date]
        if date in self.closed:
            return ()
        return self.weekly.get(date.weekday(), ())

    #: Open intervals per date, computed once per calendar object (recomputing 100k clocks
    #: reads the same few hundred dates over and over).
    _by_date: dict[dt.date, list[Interval]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def open_intervals(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        """The open stretches within [start, end), in order, disjoint and not touching."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return
        if self.always_open:
            yield start, end
            return
        for opened, closed in self._intervals(start, end):
            yield max(opened, start), min(closed, end)

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open time within [start, end), in seconds."""
        return sum((b - a).total_seconds() for a, b in self.open_intervals(start, end))

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant at which ``seconds`` of open time have passed since ``start``.

        With zero seconds that is ``start`` itself. Raises ``ValueError`` if the calendar does
        not open enough in the next ten years, rather than looping for ever."""
        start = start.astimezone(UTC)
        if seconds <= 0:
            return start
        remaining = dt.timedelta(seconds=seconds)
        if self.always_open:
            return start + remaining
        for opened, closed in self._intervals(start, start + dt.timedelta(days=3660)):
            opened = max(opened, start)
            if closed - opened >= remaining:
                return opened + remaining
            remaining -= closed - opened
        raise ValueError("The calendar does not open long enough in the next ten years.")

    def _intervals(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        """The open intervals that overlap [start, end), merged, in order."""
        date = (start - MARGIN).astimezone(self.zone).date()
        last = (end + MARGIN).astimezone(self.zone).date()
        pending: Interval | None = None
        while date <= last:
            for opened, closed in self._on_date(date):
                if closed <= start:
                    continue
                if opened >= end:
                    break
                if pending is not None and opened <= pending[1]:
                    pending = (pending[0], max(pending[1], closed))
                    continue
                if pending is not None:
                    yield pending
                pending = (opened, closed)
            date += DAY
        if pending is not None:
            yield pending

    def _on_date(self, date: dt.date) -> list[Interval]:
        """The instants of the intervals that start on ``date``, sorted."""
        found = self._by_date.get(date)
        if found is None:
            found = []
            for opens, closes in self.hours_on(date):
                wall_start = dt.datetime.combine(date, opens)
                wall_end = dt.datetime.combine(date, closes)
                if wall_end <= wall_start:
                    wall_end += DAY
                found.extend(wall_to_instants(self.zone, wall_start, wall_end))
            found = merge(found)
            self._by_date[date] = found
        return found


def wall_to_instants(
    zone: ZoneInfo, wall_start: dt.datetime, wall_end: dt.datetime
) -> list[Interval]:
    """The instants whose wall-clock time in ``zone`` lies in [wall_start, wall_end) (naive).

    Within a stretch of constant UTC offset ``o``, wall time is instant + o, so the answer is
    [wall_start - o, wall_end - o) clipped to the stretch; the stretches come from the zone's
    transitions near the interval."""
    naive_start = wall_start.replace(tzinfo=UTC)
    naive_end = wall_end.replace(tzinfo=UTC)
    result: list[Interval] = []
    for segment_start, segment_end, offset in offset_segments(
        zone, naive_start - MARGIN, naive_end + MARGIN
    ):
        opened = max(naive_start - offset, segment_start)
        closed = min(naive_end - offset, segment_end)
        if opened < closed:
            if result and result[-1][1] == opened:
                result[-1] = (result[-1][0], closed)
            else:
                result.append((opened, closed))
    return result


def offset_segments(
    zone: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """[start, end) cut where ``zone``'s UTC offset changes: (from, to, offset) in order.

    Transitions are found by bisection to the second. Two transitions that cancel out within
    one search window (a little over two days) would be missed; no zone has had such a pair."""
    while start < end:
        offset = _offset(zone, start)
        if _offset(zone, end - SECOND) == offset:
            yield start, end, offset
            return
        low, high = start, end - SECOND  # offset(low) == offset != offset(high)
        while high - low > SECOND:
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle <= low:
                middle = low + SECOND
            if _offset(zone, middle) == offset:
                low = middle
            else:
                high = middle
        yield start, high, offset
        start = high


def _offset(zone: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with touching or overlapping intervals joined."""
    merged: list[Interval] = []
    for opened, closed in sorted(intervals):
        if merged and opened <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closed))
        else:
            merged.append((opened, closed))
    return merged
