"""``GET /api/v1/kpis/processes``: the KPIs beyond incidents (``reporting.process_kpis``) for a
period of days and optionally one service, with each service's availability.

The period is written as the dashboards write it (``reporting.filters``): ``start`` and ``end``
are the first and the last day (``end`` included), or ``period`` is 7d, 30d, 90d, 365d or all;
nothing given is the last 30 days. Staff with ``reporting.view`` read it; others get 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.api import MAX_ID, ApiFilterSchema, requires
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.reporting.filters import parse_filters
from watchkeeper.reporting.permissions import ReportingPermission
from watchkeeper.reporting.process_kpis import (
    SERVICE_WIDE,
    Window,
    availability_rows,
    kpis_for,
)

router = Router(tags=["reporting"])
#: Dates the period may use: the reporting time zone can shift a day across a year's edge, and
#: years outside these hold no records anyway.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


class ProcessKpiQuery(ApiFilterSchema):
    start: str | None = Field(None, description="First day, YYYY-MM-DD")
    end: str | None = Field(None, description="Last day, YYYY-MM-DD (included)")
    period: str | None = Field(None, description="7d, 30d, 90d, 365d or all, instead of dates")
    service: str | None = Field(None, description="A service's configuration item id")


class KpiOut(Schema):
    key: str
    label: str
    value: float | None = Field(..., description="null when there is nothing to measure")
    unit: str = Field(..., description='"hours", "days", "%", "count" or "score"')
    numerator: int | None
    denominator: int | None
    drill_url: str = Field(..., description="The page listing the records, or empty")
    all_services: bool = Field(
        ..., description="Computed over every service even under a service filter"
    )


class AvailabilityOut(Schema):
    service: int
    name: str
    outage_minutes: float
    availability: float | None = Field(..., description="In per cent; null before the period")


class ProcessKpisOut(Schema):
    start: dt.date
    end: dt.date = Field(..., description="The last day of the period (included)")
    service: int | None
    kpis: list[KpiOut]
    availability: list[AvailabilityOut]


def _checked_dates(query: ProcessKpiQuery) -> None:
    """Dates that the period arithmetic can take; their format is ``parse_filters``' to check."""
    for name in ("start", "end"):
        raw = getattr(query, name)
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            continue
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError({name: f"Use a day from {FIRST_DAY} to {LAST_DAY}."})


def _service(raw: str | None) -> int | None:
    """The id of an existing service, or None; anything else is a 400 naming ``service``."""
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise ValidationError({"service": "Give the id of a service (a whole number)."})
    service_id = int(raw)
    if not ConfigurationItem.objects.filter(pk=service_id, ci_class__in=SERVICE_CLASSES).exists():
        raise ValidationError({"service": f"There is no service with the id {service_id}."})
    return service_id


@router.get(
    "/kpis/processes",
    response={200: ProcessKpisOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    operation_id="process_kpis",
    summary="KPIs beyond incidents",
    description="Availability, request fulfilment and approval times, time to root cause, "
    "known-error reuse, knowledge deflections, event noise reduction, backup success, "
    "restore-test coverage, access review completion and satisfaction over a period "
    "(`start` and `end` as YYYY-MM-DD, `end` included, or `period`), optionally of one "
    "`service`; with each service's availability. Definitions: docs/kpis.md.",
)
@requires(ReportingPermission.VIEW)
def process_kpis(request: HttpRequest, query: Query[ProcessKpiQuery]) -> dict[str, Any]:
    _checked_dates(query)
    params = {name: getattr(query, name) for name in ("start", "end", "period")}
    filters = parse_filters({name: value for name, value in params.items() if value})
    service_id = _service(query.service)
    window = Window(filters.start, filters.end, service_id)
    kpis = [{**vars(kpi), "all_services": kpi.key in SERVICE_WIDE} for kpi in kpis_for(window)]
    rows = [{**vars(row), "service": row.service_id} for row in availability_rows(window)]
    return {
        "start": filters.start,
        "end": filters.end - dt.timedelta(days=1),
        "service": service_id,
        "kpis": kpis,
        "availability": rows,
    }
