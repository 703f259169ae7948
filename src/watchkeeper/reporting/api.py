"""Incident KPIs over the API: ``GET /api/v1/kpis/incidents`` answers the figures of the
incident dashboard (``reporting.dashboard``) for the same filters, for ``reporting.view``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from watchkeeper.core.api import requires
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.reporting.dashboard import Change, IncidentDashboard, Row, incident_dashboard
from watchkeeper.reporting.dashboard_page import bucket_label
from watchkeeper.reporting.filters import parse_filters
from watchkeeper.reporting.incident_kpis import Bucket
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.permissions import ReportingPermission as P

router = Router(tags=["reporting"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
ONE_DAY = dt.timedelta(days=1)


class KpiFilters(Schema):
    """The dashboards' filters; ``period`` or ``start``/``end`` (days, both included)."""

    period: str | None = Field(None, description="7d, 30d (default), 90d, 365d or all")
    start: str | None = Field(None, description="First day, YYYY-MM-DD")
    end: str | None = Field(None, description="Last day (included), YYYY-MM-DD")
    service: str | None = Field(None, description="Service (configuration item) id")
    group: str | None = Field(None, description="Assignment group id")
    priority: str | None = Field(None, description="Priority 1 to 5")
    category: str | None = Field(None, description="Category id")


class FiltersOut(Schema):
    start: dt.date
    end: dt.date = Field(..., description="The last day of the period (included)")
    service: int | None
    group: int | None
    priority: int | None
    category: int | None
    labels: dict[str, str] = Field(
        ..., description='The names of the filter values: {"service": "E-mail"}'
    )


class KpiOut(Schema):
    key: str
    label: str
    value: float | None = Field(..., description="null when there is nothing to measure")
    unit: str = Field(..., description='"count", "hours", "%" or "score" (1-5)')
    display: str = Field(..., description='The value as the dashboard shows it: "12.5 h"')
    numerator: int | None
    denominator: int | None
    drill_url: str = Field(..., description="The page listing the incidents behind the figure")


class FiguresOut(Schema):
    opened: int
    resolved: int
    open_now: int
    mttr_hours: float | None
    sla_resolution_pct: float | None
    reopen_pct: float | None


class BucketOut(FiguresOut):
    label: str
    start: dt.date
    end: dt.date = Field(..., description="The bucket's last day (included)")
    unusual: bool


class RowOut(FiguresOut):
    key: int | None = Field(..., description="The id (or priority); null for none")
    label: str


class BreakdownsOut(Schema):
    priority: list[RowOut]
    group: list[RowOut]
    service: list[RowOut]
    category: list[RowOut]


class CountOut(Schema):
    label: str
    count: int


class ChangeOut(Schema):
    label: str = Field(..., description='"Week over week" or "Month over month"')
    days: int
    opened_now: int
    opened_before: int
    opened_change_pct: float | None
    mttr_now_hours: float | None
    mttr_before_hours: float | None
    sla_resolution_now_pct: float | None
    sla_resolution_before_pct: float | None


class IncidentKpisOut(Schema):
    filters: FiltersOut
    granularity: str = Field(..., description='The trend\'s buckets: "day", "week" or "month"')
    kpis: list[KpiOut]
    trend: list[BucketOut]
    breakdowns: BreakdownsOut
    heat_map: list[list[int]] = Field(..., description="7 weekdays (Monday first) x 24 hours")
    top_configuration_items: list[CountOut]
    backlog: list[CountOut] = Field(..., description="Incidents open now, by age")
    backlog_total: int
    changes: list[ChangeOut]


def _figures(m: Measures) -> dict[str, Any]:
    return {
        "opened": m.opened,
        "resolved": m.resolved,
        "open_now": m.open_now,
        "mttr_hours": m.mttr_hours,
        "sla_resolution_pct": m.sla_resolution_pct,
        "reopen_pct": m.reopen_pct,
    }


def _row(row: Row) -> dict[str, Any]:
    return {"key": row.key, "label": row.label, **_figures(row.measures)}


def _bucket(bucket: Bucket, granularity: str) -> dict[str, Any]:
    return {
        "label": bucket_label(bucket, granularity),
        "start": bucket.start,
        "end": bucket.end - ONE_DAY,
        "unusual": bucket.unusual,
        **_figures(bucket.measures),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "label": change.label,
        "days": change.days,
        "opened_now": change.opened_now,
        "opened_before": change.opened_before,
        "opened_change_pct": change.opened_change_pct,
        "mttr_now_hours": change.mttr_now,
        "mttr_before_hours": change.mttr_before,
        "sla_resolution_now_pct": change.sla_now,
        "sla_resolution_before_pct": change.sla_before,
    }


def _body(board: IncidentDashboard) -> dict[str, Any]:
    breakdowns = board.breakdowns
    return {
        "filters": {**vars(board.filters), "end": board.filters.end - ONE_DAY,
                    "labels": board.labels},
        "granularity": board.granularity,
        "kpis": [{**vars(kpi), "display": kpi.display} for kpi in board.kpis],
        "trend": [_bucket(bucket, board.granularity) for bucket in board.trend],
        "breakdowns": {name: [_row(row) for row in rows] for name, rows in breakdowns.items()},
        "heat_map": board.heat_map,
        "top_configuration_items": [{"label": n, "count": c} for n, c, _ in board.top_cis],
        "backlog": [{"label": label, "count": count} for label, count, _ in board.backlog],
        "backlog_total": board.backlog_total,
        "changes": [_change(change) for change in board.changes],
    }  # fmt: skip


@router.get(
    "/kpis/incidents",
    response={200: IncidentKpisOut, **ERRORS},
    operation_id="incident_kpis",
    description="The incident KPIs of the dashboard for a period and filters (docs/kpis.md "
    "defines each figure). A bad filter answers 400 naming the parameter.",
)
@requires(P.VIEW)
def incident_kpis(request: HttpRequest, filters: Query[KpiFilters]) -> dict[str, Any]:
    params = {name: value for name, value in filters.dict().items() if value is not None}
    return _body(incident_dashboard(parse_filters(params)))
