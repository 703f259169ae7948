"""Report schedules over the API: ``/api/v1/report-schedules``. Everyone with ``reporting.view``
lists the schedules they see (their own; every one for administrators and auditors); holders of
``reporting.schedule`` create them, and the owner or an administrator changes, deletes and
sends them. Every write goes through ``reporting.schedules``, which checks the values: a bad
value answers 400 naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, WithJsonSchema

from watchkeeper.core.api import MAX_ID, ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.incidents.api_support import users_named
from watchkeeper.reporting import schedule_sending, schedules
from watchkeeper.reporting.choices import Frequency, ReportFormat
from watchkeeper.reporting.models import ReportSchedule
from watchkeeper.reporting.permissions import ReportingPermission as P

router = Router(tags=["report schedules"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PATH = "/report-schedules/{schedule_id}"
#: Checked by the action (400 naming the field), described as the enum it is.
FrequencyText = Annotated[str, WithJsonSchema({"type": "string", "enum": list(Frequency.values)})]
FormatText = Annotated[str, WithJsonSchema({"type": "string", "enum": list(ReportFormat.values)})]


class FiltersSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    service: int | None = Field(None, description="A service's id (a configuration item)")
    group: int | None = Field(None, description="An assignment group's id")
    priority: int | None = Field(None, description="1 to 5")
    category: int | None = Field(None, description="A category's id")


class ScheduleOut(Schema):
    id: int
    name: str
    owner: str = Field(..., alias="owner.username")
    frequency: str = Field(..., description="daily, weekly (Mondays) or monthly (the 1st)")
    filters: FiltersSchema
    formats: list[str] = Field(..., description='"pdf", "csv" or both')
    recipients: list[str] = Field(..., description="Usernames")
    is_active: bool
    next_run_at: dt.datetime
    last_sent_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_recipients(obj: ReportSchedule) -> list[str]:
        return sorted(user.username for user in obj.recipients.all())

    @staticmethod
    def resolve_filters(obj: ReportSchedule) -> dict[str, Any]:
        return dict(obj.filters or {})


class ScheduleIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=150, examples=["E-mail service, weekly"])
    frequency: FrequencyText = Field(..., examples=["weekly"])
    filters: FiltersSchema | None = None
    formats: list[FormatText] = Field(["pdf"], max_length=2)
    recipients: list[str] = Field(..., max_length=500, description="Usernames of active users")
    is_active: bool = True


class SchedulePatch(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=150)
    frequency: FrequencyText | None = None
    filters: FiltersSchema | None = None
    formats: list[FormatText] | None = Field(None, max_length=2)
    recipients: list[str] | None = Field(None, max_length=500)
    is_active: bool | None = None


class SentOut(Schema):
    period: str = Field(..., examples=["2026-03-02 to 2026-03-08"])
    addresses: list[str]


def _values(payload: ApiSchema, *, partial: bool) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=partial)
    if not partial and values.get("filters") is None:
        values["filters"] = {}
    for name, value in values.items():
        if value is None:
            raise ValidationError({name: "Leave it out to keep it; it cannot be empty."})
    if "filters" in values:
        values["filters"] = {k: v for k, v in values["filters"].items() if v is not None}
    if "recipients" in values:
        values["recipients"] = users_named(values["recipients"], "recipients")
    return values


def _visible(request: HttpRequest) -> QuerySet[ReportSchedule]:
    return schedules.schedules_for(caller(request))


def _get(request: HttpRequest, schedule_id: int) -> ReportSchedule:
    return get_object_or_404(_visible(request), pk=min(schedule_id, MAX_ID))


@router.get("/report-schedules", response=list[ScheduleOut], operation_id="list_report_schedules")
@requires(P.VIEW)
@paginate(Pagination)
def list_report_schedules(request: HttpRequest) -> QuerySet[ReportSchedule]:
    """Your schedules (every schedule for administrators and auditors), by name."""
    return _visible(request).order_by("name", "pk")


@router.post(
    "/report-schedules",
    response={201: ScheduleOut, **ERRORS},
    operation_id="create_report_schedule",
    description="A schedule owned by you; its first run is the frequency's next run time.",
)
@requires(P.SCHEDULE)
def create_report_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[ReportSchedule]:
    values = _values(payload, partial=False)
    made = schedules.create_schedule(acting_user=caller(request), channel=Channel.API, **values)
    return Status(201, _get(request, made.pk))


@router.get(PATH, response={200: ScheduleOut, **ERRORS}, operation_id="get_report_schedule")
@requires(P.VIEW)
def get_report_schedule(request: HttpRequest, schedule_id: int) -> ReportSchedule:
    return _get(request, schedule_id)


@router.patch(
    PATH,
    response={200: ScheduleOut, **ERRORS},
    operation_id="update_report_schedule",
    description="Only the fields sent change (the owner or an administrator).",
)
@requires(P.SCHEDULE)
def update_report_schedule(
    request: HttpRequest, schedule_id: int, payload: SchedulePatch
) -> ReportSchedule:
    schedule = _get(request, schedule_id)
    values = _values(payload, partial=True)
    schedules.update_schedule(schedule, acting_user=caller(request), channel=Channel.API, **values)
    return _get(request, schedule_id)


@router.delete(PATH, response={204: None, **ERRORS}, operation_id="delete_report_schedule")
@requires(P.SCHEDULE)
def delete_report_schedule(request: HttpRequest, schedule_id: int) -> Status[None]:
    schedule = _get(request, schedule_id)
    schedules.delete_schedule(schedule, acting_user=caller(request), channel=Channel.API)
    return Status(204, None)


@router.post(
    f"{PATH}/send",
    response={200: SentOut, **ERRORS},
    operation_id="send_report_schedule",
    description="E-mails the report of the period that just ended to every recipient now; "
    "the next run stays as it is.",
)
@requires(P.SCHEDULE)
def send_report_schedule(request: HttpRequest, schedule_id: int) -> schedule_sending.Delivery:
    schedule = _get(request, schedule_id)
    return schedule_sending.send_now(schedule, acting_user=caller(request), channel=Channel.API)
