"""Request and response bodies of the SLA API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from watchkeeper.core.api import ApiSchema
from watchkeeper.sla.choices import AgreementKind, Metric, RecordType, ThresholdAction
from watchkeeper.sla.clock import Clock
from watchkeeper.sla.models import Calendar, SlaClock, SlaDefinition


class HoursIO(Schema):
    weekday: int = Field(..., ge=0, le=6, description="Monday = 0")
    start: dt.time
    end: dt.time = Field(..., description="Not after the start: runs past midnight")


class HolidayOut(Schema):
    date: dt.date
    name: str
    source: str


class ExceptionOut(Schema):
    date: dt.date
    start: dt.time | None
    end: dt.time | None
    note: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    always_open: bool
    holiday_country: str
    holiday_subdivision: str
    hours: list[HoursIO]
    holidays: list[HolidayOut]
    exceptions: list[ExceptionOut]

    @staticmethod
    def resolve_hours(calendar: Calendar) -> list[Any]:
        return list(calendar.hours.all())

    @staticmethod
    def resolve_holidays(calendar: Calendar) -> list[Any]:
        return list(calendar.holidays.all())

    @staticmethod
    def resolve_exceptions(calendar: Calendar) -> list[Any]:
        return list(calendar.exceptions.all())


class CalendarIn(ApiSchema):
    name: str = Field(..., min_length=1, max_length=100)
    time_zone: str = Field("UTC", max_length=64, description="IANA name, e.g. Europe/Berlin")
    always_open: bool = False
    holiday_country: str = Field("", max_length=2)
    holiday_subdivision: str = Field("", max_length=10)
    hours: list[HoursIO] = []


class CalendarPatch(ApiSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    always_open: bool | None = None
    holiday_country: str | None = Field(None, max_length=2)
    holiday_subdivision: str | None = Field(None, max_length=10)
    hours: list[HoursIO] | None = None


class HolidayIn(ApiSchema):
    date: dt.date
    name: str = Field(..., min_length=1, max_length=100)


class GenerateIn(ApiSchema):
    years: list[int] = Field(..., min_length=1, max_length=10)


class ExceptionIn(ApiSchema):
    intervals: list[tuple[dt.time, dt.time]] = Field(
        [], description="Open intervals that day; none: closed"
    )
    note: str = Field("", max_length=200)


class TargetIO(Schema):
    priority: int | None = Field(None, ge=1, le=5, description="None: every other priority")
    minutes: int = Field(..., ge=1, le=10_000_000)


class ActionIO(Schema):
    percent: int = Field(..., ge=1, le=100, description="100: the breach")
    action: ThresholdAction
    group: int | None = Field(None, description="Support group id, for reassign")


class DefinitionOut(Schema):
    id: int
    name: str
    kind: AgreementKind
    record_type: RecordType
    metric: Metric
    calendar: int
    is_active: bool
    vendor: str
    priorities: list[int]
    channels: list[str]
    services: list[str]
    caller_groups: list[int]
    assignment_groups: list[int]
    pause_reasons: list[str]
    pause_states: list[str]
    thresholds: list[int]
    targets: list[TargetIO]
    actions: list[ActionIO]

    @staticmethod
    def resolve_calendar(definition: SlaDefinition) -> int:
        return definition.calendar_id

    @staticmethod
    def resolve_services(definition: SlaDefinition) -> list[str]:
        return [ci.number for ci in definition.services.all()]

    @staticmethod
    def resolve_caller_groups(definition: SlaDefinition) -> list[int]:
        return [group.pk for group in definition.caller_groups.all()]

    @staticmethod
    def resolve_assignment_groups(definition: SlaDefinition) -> list[int]:
        return [group.pk for group in definition.assignment_groups.all()]

    @staticmethod
    def resolve_targets(definition: SlaDefinition) -> list[Any]:
        return list(definition.targets.all())

    @staticmethod
    def resolve_actions(definition: SlaDefinition) -> list[dict[str, Any]]:
        return [
            {"percent": a.percent, "action": a.action, "group": a.group_id}
            for a in definition.actions.all()
        ]


class DefinitionIn(ApiSchema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: AgreementKind = AgreementKind.SLA
    record_type: RecordType = RecordType.INCIDENT
    metric: Metric
    calendar: int
    is_active: bool = True
    vendor: str = Field("", max_length=100)
    priorities: list[int] = []
    channels: list[str] = []
    services: list[str] = Field([], description="Service or CI numbers")
    caller_groups: list[int] = []
    assignment_groups: list[int] = []
    pause_reasons: list[str] = Field(["awaiting_caller"], description="Hold reasons that pause")
    pause_states: list[str] = Field([], description='States that pause, e.g. ["on_hold"]')
    thresholds: list[int] = [50, 75, 90]
    targets: list[TargetIO] = Field(..., min_length=1)
    actions: list[ActionIO] = []


class DefinitionPatch(ApiSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: AgreementKind | None = None
    record_type: RecordType | None = None
    metric: Metric | None = None
    calendar: int | None = None
    is_active: bool | None = None
    vendor: str | None = Field(None, max_length=100)
    priorities: list[int] | None = None
    channels: list[str] | None = None
    services: list[str] | None = None
    caller_groups: list[int] | None = None
    assignment_groups: list[int] | None = None
    pause_reasons: list[str] | None = None
    pause_states: list[str] | None = None
    thresholds: list[int] | None = None
    targets: list[TargetIO] | None = None
    actions: list[ActionIO] | None = None


class StretchOut(Schema):
    start: dt.datetime
    end: dt.datetime
    kind: str = Field(..., description="running, paused, outside_hours or stopped")
    reason: str


class ClockOut(Schema):
    definition: str
    kind: AgreementKind
    metric: Metric
    status: str = Field(..., description="running, paused, met (stopped) or cancelled")
    breached: bool
    elapsed_seconds: float = Field(..., description="Business time counted so far")
    target_seconds: float
    percent: float
    started_at: dt.datetime
    due_at: dt.datetime | None = Field(..., description="While running: when the target ends")
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None
    thresholds: dict[str, dt.datetime] = Field(
        ..., description="Percent (100: the breach) -> when reached, or when due while running"
    )
    fired: list[int] = Field(..., description="Thresholds acted on")
    intervals: list[StretchOut]
    computed_at: dt.datetime


def clock_out(clock: SlaClock, computed: Clock, now: dt.datetime) -> dict[str, Any]:
    """The stored figures of ``clock`` with the intervals ``computed`` from the history."""
    return {
        "definition": clock.definition.name,
        "kind": clock.definition.kind,
        "metric": clock.definition.metric,
        "status": clock.status,
        "breached": clock.is_breached(now),
        "elapsed_seconds": clock.elapsed_seconds,
        "target_seconds": clock.target_seconds,
        "percent": round(clock.percent_used(), 1),
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "breached_at": clock.breached_at,
        "stopped_at": clock.stopped_at,
        "thresholds": clock.marks,
        "fired": clock.fired,
        "intervals": [
            {"start": s.start, "end": s.end, "kind": s.kind.value, "reason": s.reason}
            for s in computed.stretches
        ],
        "computed_at": clock.computed_at,
    }
