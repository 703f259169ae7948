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

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
LEDGER_SPAN = dt.timedelta(days=400)
TEN_YEARS = 3660 * 86_400 * 1_000_000  # microseconds
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def _micros(instant: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (integers keep whole minutes whole)."""
    delta = instant.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


@dataclass(frozen=True)
class Ledger:
    """Merged open intervals over [start, end) (microseconds) with the open time before each:
    the total up to any instant, and the instant of any total, by bisection."""

    start: int
    end: int
    opens: list[int]
    closes: list[int]
    before: list[int]  # open time before each interval, counted from ``start``
    through: list[int]  # ... and up to its close

    @classmethod
    def of(cls, start: int, end: int, intervals: Iterable[Interval]) -> Ledger:
        opens, closes, before, through, total = [], [], [], [], 0
        for opened, closed in intervals:
            a, b = max(_micros(opened), start), min(_micros(closed), end)
            if b <= a:
                continue
            opens.append(a)
            closes.append(b)
            before.append(total)
            total += b - a
            through.append(total)
        return cls(start, end, opens, closes, before, through)

    def total_at(self, micros: int) -> int:
        index = bisect.bisect_right(self.opens, micros) - 1
        if index < 0:
            return 0
        return self.before[index] + min(micros, self.closes[index]) - self.opens[index]

    def instant_of(self, total: int) -> int | None:
        """The earliest instant at which the total reaches ``total``; None beyond the end."""
        index = bisect.bisect_left(self.through, total)
        if index == len(self.through):
            return None
        return self.opens[index] + max(0, total - self.before[index])


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
    #: The open time as a running total (``Ledger``), for counting and adding business time in
    #: O(log n) instead of walking the intervals (what makes a bulk recompute fast).
    _ledger: list[Ledger] = field(default_factory=list, compare=False, hash=False, repr=False)

    def _ledger_for(self, start: dt.datetime, end: dt.datetime) -> Ledger:
        """A ledger covering [start, end], rebuilt wider when needed (totals from different
        ledgers are never mixed: each caller takes one ledger for all it compares)."""
        low, high = _micros(start), _micros(end)
        if self._ledger and self._ledger[0].start <= low and high < self._ledger[0].end:
            return self._ledger[0]
        origin = _from_micros(min(low, self._ledger[0].start if self._ledger else low))
        origin = dt.datetime(origin.year, 1, 1, tzinfo=UTC)
        until = max(_from_micros(high), origin) + LEDGER_SPAN
        if self._ledger:
            until = max(until, _from_micros(self._ledger[0].end))
        ledger = Ledger.of(_micros(origin), _micros(until), self._intervals(origin, until))
        self._ledger[:] = [ledger]
        return ledger

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
        """Open time within [start, end), in seconds (O(log n) from the running total)."""
        return self.count(start, end, ())[0]

    def count(
        self, start: dt.datetime, end: dt.datetime, amounts: Sequence[float]
    ) -> tuple[float, list[dt.datetime | None]]:
        """Open seconds within [start, end), and for each of ``amounts`` the instant at which
        that much open time has passed since ``start`` if it has by ``end`` (else None): what
        a clock needs of a running stretch, from one ledger lookup."""
        if end <= start:
            return 0.0, [None for _amount in amounts]
        if self.always_open:
            seconds = (end - start).total_seconds()
            return seconds, [
                start + dt.timedelta(seconds=a) if 0 < a <= seconds else None for a in amounts
            ]
        low, high = _micros(start), _micros(end)
        ledger = self._ledger_for(start, end)
        first = ledger.total_at(low)
        total = ledger.total_at(high) - first
        found: list[dt.datetime | None] = []
        for amount in amounts:
            micros = round(amount * 1_000_000)
            instant = ledger.instant_of(first + micros) if 0 < micros <= total else None
            found.append(None if instant is None else _from_micros(max(low, instant)))
        return total / 1e6, found

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant at which ``seconds`` of open time have passed since ``start``.

        With zero seconds that is ``start`` itself. Raises ``ValueError`` if the calendar does
        not open enough in the next ten years, rather than looping for ever."""
        [instant] = self.add_each(start, [seconds])
        if instant is None:
            raise ValueError("The calendar does not open long enough in the next ten years.")
        return instant

    def add_each(self, start: dt.datetime, amounts: Sequence[float]) -> list[dt.datetime | None]:
        """``add`` for several amounts from one start (one lookup of the start's total); None
        for an amount the calendar does not reach within ten years."""
        start = start.astimezone(UTC)
        if self.always_open:
            return [start + dt.timedelta(seconds=max(0.0, s)) for s in amounts]
        ledger = self._ledger_for(start, start)
        base = ledger.total_at(_micros(start))
        result: list[dt.datetime | None] = []
        for seconds in amounts:
            if seconds <= 0:
                result.append(start)
                continue
            target = base + round(seconds * 1_000_000)
            while (found := ledger.instant_of(target)) is None:
                if ledger.end - _micros(start) > TEN_YEARS:
                    break
                ledger = self._ledger_for(start, _from_micros(ledger.end) + LEDGER_SPAN)
            result.append(None if found is None else max(start, _from_micros(found)))
        return result

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
