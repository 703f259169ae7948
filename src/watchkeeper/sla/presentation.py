"""What the UI shows of SLA clocks: the badge in queues and the timeline on the record page.

Every interval gets a label a person can check: "Running", "Paused: Awaiting caller",
"Outside business hours" (naming the holiday or exception when one falls in it), "Stopped:
Resolved".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from watchkeeper.incidents.choices import HoldReason, IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.sla.choices import ClockStatus
from watchkeeper.sla.clock import Stretch
from watchkeeper.sla.models import Calendar, SlaClock
from watchkeeper.sla.queries import SOON
from watchkeeper.sla.service import explain

KIND_LABELS = {
    "running": "Running",
    "paused": "Paused",
    "outside_hours": "Outside business hours",
    "stopped": "Stopped",
}
REASONS = {**dict(HoldReason.choices), **dict(IncidentState.choices), "responded": "Responded"}
REASONS |= {"other group": "With another group", "not awaiting_vendor": "Not with the vendor"}


def duration(seconds: float) -> str:
    """3 d 4 h, 5 h 20 min, 12 min (business time reads best in these units)."""
    minutes = round(abs(seconds) / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes and not days else "")
    return " ".join(part for part in parts if part) or "0 min"


@dataclass(frozen=True)
class Segment:
    start: dt.datetime
    end: dt.datetime
    kind: str
    label: str
    offset: float  # where it starts, percent of the whole timeline
    width: float  # percent of the whole timeline


@dataclass(frozen=True)
class ClockView:
    clock: SlaClock
    name: str
    metric: str
    status: str
    tone: str  # ok, warning, breached, paused, done
    summary: str
    percent: float

    @property
    def short(self) -> str:
        """The summary without the figures, for a badge: "Due in 2 h", "Paused"."""
        return self.summary.split(":")[0]

    segments: list[Segment]


def tone(clock: SlaClock, now: dt.datetime) -> str:
    if clock.is_breached(now):
        return "breached"
    if clock.status == ClockStatus.PAUSED:
        return "paused"
    if clock.status != ClockStatus.RUNNING:
        return "done"
    soon = clock.due_at is not None and clock.due_at - now <= SOON
    return "warning" if soon or clock.percent_used() >= 75 else "ok"


def summary(clock: SlaClock, now: dt.datetime, elapsed: float | None = None) -> str:
    """What the clock says, in words. A running clock's stored elapsed time is as of its last
    computation: pass ``elapsed`` as of ``now`` to show it, else only the time left is said."""
    settled = clock.status != ClockStatus.RUNNING  # its stored figures are final
    elapsed = clock.elapsed_seconds if elapsed is None and settled else elapsed
    used = f"{duration(elapsed or 0)} of {duration(clock.target_seconds)}"
    if elapsed is None:
        used = f"target {duration(clock.target_seconds)}"
    if clock.status == ClockStatus.CANCELLED:
        return f"Cancelled after {duration(clock.elapsed_seconds)}"
    if clock.status == ClockStatus.MET:
        verdict = "breached" if clock.breached_at else "met"
        return f"Stopped, {verdict}: {used}"
    if clock.status == ClockStatus.PAUSED:
        return f"Paused: {used} used, {duration(clock.target_seconds - clock.elapsed_seconds)} left"
    if clock.due_at is None:
        return f"Running: {used}"
    if clock.due_at <= now:
        return f"Breached {duration((now - clock.due_at).total_seconds())} ago: {used}"
    return f"Due in {duration((clock.due_at - now).total_seconds())}: {used}"


def _closed_days(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> str:
    """Names of the holidays and exceptions that fall in an outside-hours interval."""
    zone = ZoneInfo(calendar.time_zone)
    zone_start, zone_end = start.astimezone(zone).date(), end.astimezone(zone).date()
    names = [
        f"{h.name} ({h.date:%d %b})"
        for h in calendar.holidays.all()
        if zone_start <= h.date <= zone_end
    ]
    names += [
        f"{e.note or 'exception'} ({e.date:%d %b})"
        for e in calendar.exceptions.all()
        if zone_start <= e.date <= zone_end
    ]
    return ", ".join(dict.fromkeys(names))


def segments(clock: SlaClock, stretches: Sequence[Stretch]) -> list[Segment]:
    """The intervals, labelled, with their share of the whole for the timeline bar."""
    if clock.status == ClockStatus.CANCELLED and stretches and stretches[-1].kind != "stopped":
        return []  # the definition stopped applying: what it would say now is not its story
    total = sum((s.end - s.start).total_seconds() for s in stretches) or 1.0
    calendar = clock.definition.calendar
    result: list[Segment] = []
    offset = 0.0
    for stretch in stretches:
        label = KIND_LABELS.get(stretch.kind, stretch.kind)
        if stretch.reason:
            label += f": {REASONS.get(stretch.reason, stretch.reason)}"
        if stretch.kind == "outside_hours" and (
            closed := _closed_days(calendar, stretch.start, stretch.end)
        ):
            label += f" (includes {closed})"
        width = 100 * (stretch.end - stretch.start).total_seconds() / total
        result.append(
            Segment(stretch.start, stretch.end, stretch.kind, label, round(offset, 3), width)
        )
        offset += width
    return result


def view(
    clock: SlaClock,
    now: dt.datetime,
    stretches: Sequence[Stretch] = (),
    elapsed: float | None = None,
) -> ClockView:
    return ClockView(
        clock=clock,
        name=clock.definition.name,
        metric=clock.definition.get_metric_display(),
        status=clock.get_status_display(),
        tone=tone(clock, now),
        summary=summary(clock, now, elapsed),
        percent=round(min(clock.percent_used(), 999), 1),
        segments=segments(clock, stretches) if stretches else [],
    )


def record_clocks(record: Incident, now: dt.datetime) -> list[ClockView]:
    """The record page's SLA card: each clock, explained from the history."""
    return [
        view(clock, now, computed.stretches, computed.elapsed)
        for clock, computed in explain(record, now=now)
    ]


def badges(records: Sequence[Model], now: dt.datetime) -> dict[int, ClockView]:
    """For a page of a queue: each record's most pressing live clock (one query)."""
    if not records:
        return {}
    content_type = ContentType.objects.get_for_model(records[0]._meta.model)
    live = (
        SlaClock.objects.filter(
            content_type=content_type,
            object_id__in=[record.pk for record in records],
            status__in=[ClockStatus.RUNNING, ClockStatus.PAUSED],
        )
        .select_related("definition")
        .order_by("due_at")
    )
    best: dict[int, SlaClock] = {}
    for clock in live:
        current = best.get(clock.object_id)
        if current is None or _pressure(clock, now) > _pressure(current, now):
            best[clock.object_id] = clock
    return {pk: view(clock, now) for pk, clock in best.items()}


def _pressure(clock: SlaClock, now: dt.datetime) -> tuple[int, float]:
    """Breached first, then running by least time left, then paused by share used."""
    if clock.is_breached(now):
        return (3, 0.0)
    if clock.status == ClockStatus.RUNNING and clock.due_at is not None:
        return (2, -(clock.due_at - now).total_seconds())
    return (1, clock.percent_used())
