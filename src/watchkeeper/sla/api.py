"""The SLA API: a record's clocks with their intervals, and calendars and definitions (CRUD).

Staff (``sla.view``) read; administrators and service owners (``sla.configure``) write. Every
write goes through ``sla.actions`` (history, then the open incidents' clocks are recomputed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from watchkeeper.core.api import caller, requires
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.incidents.api_support import configuration_item, group_with_id, visible
from watchkeeper.sla import actions
from watchkeeper.sla.api_schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    ClockOut,
    DefinitionIn,
    DefinitionOut,
    DefinitionPatch,
    ExceptionIn,
    GenerateIn,
    HolidayIn,
    clock_out,
)
from watchkeeper.sla.models import Calendar, SlaDefinition
from watchkeeper.sla.permissions import SlaPermission as P
from watchkeeper.sla.service import explain

router = Router(tags=["sla"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CALENDAR = "/sla/calendars/{calendar_id}"
DEFINITION = "/sla/definitions/{definition_id}"


@router.get(
    "/incidents/{number}/sla",
    response={200: list[ClockOut], **ERRORS},
    operation_id="get_incident_sla",
    description="The incident's SLA, OLA and contract clocks: state, elapsed business time, "
    "target, due and breach times, threshold times and every interval (running, paused with "
    "its reason, outside business hours, stopped).",
)
@requires(P.VIEW)
def incident_sla(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    incident = visible(caller(request), number)
    now = timezone.now()
    return [clock_out(clock, computed, now) for clock, computed in explain(incident, now=now)]


def _calendars() -> QuerySet[Calendar]:
    return Calendar.objects.prefetch_related("hours", "holidays", "exceptions")


def _hours(rows: Any) -> list[tuple[int, dt.time, dt.time]]:
    return [(row.weekday, row.start, row.end) for row in rows]


@router.get("/sla/calendars", response=list[CalendarOut], operation_id="list_calendars")
@requires(P.VIEW)
def list_calendars(request: HttpRequest) -> QuerySet[Calendar]:
    return _calendars()


@router.post(
    "/sla/calendars", response={201: CalendarOut, **ERRORS}, operation_id="create_calendar"
)
@requires(P.CONFIGURE)
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status[Calendar]:
    values = payload.dict()
    hours = _hours(payload.hours)
    values.pop("hours")
    calendar = actions.save_calendar(None, acting_user=caller(request), hours=hours, **values)
    return Status(201, _calendars().get(pk=calendar.pk))


@router.get(CALENDAR, response={200: CalendarOut, **ERRORS}, operation_id="get_calendar")
@requires(P.VIEW)
def get_calendar(request: HttpRequest, calendar_id: int) -> Calendar:
    return get_object_or_404(_calendars(), pk=calendar_id)


@router.patch(CALENDAR, response={200: CalendarOut, **ERRORS}, operation_id="update_calendar")
@requires(P.CONFIGURE)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch) -> Calendar:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    values = payload.dict(exclude_unset=True)
    hours = _hours(payload.hours) if values.pop("hours", None) is not None else None
    actions.save_calendar(calendar, acting_user=caller(request), hours=hours, **values)
    return _calendars().get(pk=calendar.pk)


@router.delete(
    CALENDAR, response={204: None, **ERRORS, 409: ErrorOut}, operation_id="delete_calendar"
)
@requires(P.CONFIGURE)
def delete_calendar(request: HttpRequest, calendar_id: int) -> Status[None]:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    actions.delete_calendar(calendar, acting_user=caller(request))
    return Status(204, None)


@router.post(
    f"{CALENDAR}/holidays/generate",
    response={200: CalendarOut, **ERRORS},
    operation_id="generate_holidays",
    description="Public holidays of the calendar's country and region for the given years "
    "(the `holidays` package); holidays entered by hand are kept.",
)
@requires(P.CONFIGURE)
def generate_holidays(request: HttpRequest, calendar_id: int, payload: GenerateIn) -> Calendar:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    actions.generate_holidays(calendar, payload.years, acting_user=caller(request))
    return _calendars().get(pk=calendar.pk)


@router.put(
    f"{CALENDAR}/holidays/{{date}}",
    response={200: CalendarOut, **ERRORS},
    operation_id="set_holiday",
)
@requires(P.CONFIGURE)
def set_holiday(
    request: HttpRequest, calendar_id: int, date: dt.date, payload: HolidayIn
) -> Calendar:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    if payload.date != date:
        raise ValidationError({"date": "The body's date differs from the path's."})
    actions.set_holiday(calendar, date, payload.name, acting_user=caller(request))
    return _calendars().get(pk=calendar.pk)


@router.delete(
    f"{CALENDAR}/holidays/{{date}}",
    response={200: CalendarOut, **ERRORS},
    operation_id="remove_holiday",
)
@requires(P.CONFIGURE)
def remove_holiday(request: HttpRequest, calendar_id: int, date: dt.date) -> Calendar:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    actions.remove_holiday(calendar, date, acting_user=caller(request))
    return _calendars().get(pk=calendar.pk)


@router.put(
    f"{CALENDAR}/exceptions/{{date}}",
    response={200: CalendarOut, **ERRORS},
    operation_id="set_calendar_exception",
    description="One-off hours for a date (no intervals: closed that day).",
)
@requires(P.CONFIGURE)
def set_exception(
    request: HttpRequest, calendar_id: int, date: dt.date, payload: ExceptionIn
) -> Calendar:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    actions.set_exception(
        calendar, date, payload.intervals, note=payload.note, acting_user=caller(request)
    )
    return _calendars().get(pk=calendar.pk)


def _definitions() -> QuerySet[SlaDefinition]:
    return SlaDefinition.objects.prefetch_related(
        "targets", "actions", "services", "caller_groups", "assignment_groups"
    )


def _definition_values(data: dict[str, Any]) -> dict[str, Any]:
    """API values as the action takes them: objects for ids and numbers, targets and actions
    as tuples. An unknown id or number is a 400 naming the field."""
    values = dict(data)
    if "calendar" in values:
        values["calendar"] = _calendar(values["calendar"])
    if values.get("services") is not None:
        values["services"] = [configuration_item(n, "services") for n in values["services"]]
    for name in ("caller_groups", "assignment_groups"):
        if values.get(name) is not None:
            values[name] = [group_with_id(pk, name) for pk in values[name]]
    if values.get("targets") is not None:
        priorities = [t.get("priority") for t in values["targets"]]
        if len(set(priorities)) != len(priorities):
            raise ValidationError({"targets": "One target per priority, and one default."})
        values["targets"] = {t.get("priority"): t["minutes"] for t in values["targets"]}
    if values.get("actions") is not None:
        values["actions"] = [
            (a["percent"], a["action"], group_with_id(a["group"], "actions"))
            if a.get("group") is not None
            else (a["percent"], a["action"], None)
            for a in values["actions"]
        ]
    return values


def _calendar(pk: int) -> Calendar:
    found = Calendar.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"calendar": f"No calendar with id {pk}."})
    return found


def _save_definition(
    definition: SlaDefinition | None, request: HttpRequest, data: dict[str, Any]
) -> SlaDefinition:
    values = _definition_values(data)
    targets, threshold_actions = values.pop("targets", None), values.pop("actions", None)
    return actions.save_definition(
        definition,
        acting_user=caller(request),
        targets=targets,
        actions=threshold_actions,
        **values,
    )


@router.get("/sla/definitions", response=list[DefinitionOut], operation_id="list_sla_definitions")
@requires(P.VIEW)
def list_definitions(request: HttpRequest) -> QuerySet[SlaDefinition]:
    return _definitions()


@router.post(
    "/sla/definitions",
    response={201: DefinitionOut, **ERRORS},
    operation_id="create_sla_definition",
)
@requires(P.CONFIGURE)
def create_definition(request: HttpRequest, payload: DefinitionIn) -> Status[SlaDefinition]:
    definition = _save_definition(None, request, payload.dict())
    return Status(201, _definitions().get(pk=definition.pk))


@router.get(DEFINITION, response={200: DefinitionOut, **ERRORS}, operation_id="get_sla_definition")
@requires(P.VIEW)
def get_definition(request: HttpRequest, definition_id: int) -> SlaDefinition:
    return get_object_or_404(_definitions(), pk=definition_id)


@router.patch(
    DEFINITION, response={200: DefinitionOut, **ERRORS}, operation_id="update_sla_definition"
)
@requires(P.CONFIGURE)
def update_definition(
    request: HttpRequest, definition_id: int, payload: DefinitionPatch
) -> SlaDefinition:
    definition = get_object_or_404(SlaDefinition, pk=definition_id)
    _save_definition(definition, request, payload.dict(exclude_unset=True))
    return _definitions().get(pk=definition.pk)


@router.delete(
    DEFINITION,
    response={204: None, **ERRORS, 409: ErrorOut},
    operation_id="delete_sla_definition",
    description="Only a definition that never ran a clock; otherwise deactivate it "
    "(`is_active: false`), which keeps its clocks and their history.",
)
@requires(P.CONFIGURE)
def delete_definition(request: HttpRequest, definition_id: int) -> Status[None]:
    definition = get_object_or_404(SlaDefinition, pk=definition_id)
    actions.delete_definition(definition, acting_user=caller(request))
    return Status(204, None)
