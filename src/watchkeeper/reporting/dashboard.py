"""The incident KPI dashboard's data: headline KPIs, trend, breakdowns, heat map, backlog, top
categories and CIs, week-over-week and month-over-month changes. Pages, reports (CSV and PDF)
and the API all build from ``incident_dashboard``, so they always show the same figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import Priority
from watchkeeper.incidents.models import Category
from watchkeeper.reporting import incident_kpis as kpis
from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.incident_kpis import Bucket
from watchkeeper.reporting.kpi import Kpi
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.models import IncidentFact

#: Backlog age buckets: (label, minimum age in days, maximum age in days or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("< 1 day", 0, 1),
    ("1-3 days", 1, 3),
    ("3-7 days", 3, 7),
    ("7-30 days", 7, 30),
    ("> 30 days", 30, None),
)
CHANGE_MEASURES = kpis.TREND_MEASURES


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: the dimension's value, its name and its measures."""

    key: int | None
    label: str
    measures: Measures
    drill_query: str


@dataclass(frozen=True)
class Change:
    """A figure now and in the period before it of the same length (WoW: 7 days, MoM: 30)."""

    label: str
    days: int
    opened_now: int
    opened_before: int
    mttr_now: float | None
    mttr_before: float | None
    sla_now: float | None
    sla_before: float | None

    @property
    def opened_change_pct(self) -> float | None:
        if not self.opened_before:
            return None
        return 100 * (self.opened_now - self.opened_before) / self.opened_before


@dataclass
class IncidentDashboard:
    filters: Filters
    totals: Measures
    kpis: list[Kpi]
    trend: list[Bucket]
    granularity: str
    breakdowns: dict[str, list[Row]]
    heat_map: list[list[int]]
    top_cis: list[tuple[str, int, str]]
    backlog: list[tuple[str, int, str]]
    backlog_total: int
    changes: list[Change]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def unusual(self) -> list[Bucket]:
        return [bucket for bucket in self.trend if bucket.unusual]


def incident_dashboard(filters: Filters, *, refresh: bool = True) -> IncidentDashboard:
    """Everything the incident dashboard shows, exact as of now (the facts are refreshed
    first unless ``refresh`` is false)."""
    if refresh:
        refresh_facts()
    totals = kpis.totals(filters)
    breakdowns = {name: _rows(filters, name) for name in kpis.DIMENSION_FIELDS}
    backlog, backlog_total = _backlog(filters)
    return IncidentDashboard(
        filters=filters,
        totals=totals,
        kpis=headline_kpis(filters, totals),
        trend=kpis.trend(filters),
        granularity=kpis.granularity(filters),
        breakdowns=breakdowns,
        heat_map=kpis.heat_map(filters),
        top_cis=_top_cis(filters),
        backlog=backlog,
        backlog_total=backlog_total,
        changes=_changes(filters),
        labels=filter_labels(filters),
    )


def drill_url(filters: Filters, measure: str = "opened", **extra: Any) -> str:
    return f"{reverse('reporting:drill')}?{filters.query(measure=measure, **extra)}"


#: Headline KPIs: key, label, unit, value (a ``Measures`` property or field), numerator and
#: denominator fields (or ""), and the drill-down measure (or "").
HEADLINES = (
    ("incidents_opened", "Incidents opened", "count", "opened", "", "", "opened"),
    ("backlog", "Open now (of those opened)", "count", "open_now", "", "", "open"),
    ("mtta", "Mean time to acknowledge", "hours", "mtta_hours", "", "", "acknowledged"),
    ("mttr", "Mean time to resolve", "hours", "mttr_hours", "", "", "resolved"),
    ("fcr", "First-contact resolution", "%", "first_contact_pct", "first_contact", "resolved",
     "first_contact"),
    ("first_level", "First-level resolution", "%", "first_level_pct", "first_level", "resolved",
     "first_level"),
    ("sla_response", "Response SLA met", "%", "sla_response_pct", "sla_response_met",
     "sla_response_total", "response_breached"),
    ("sla_resolution", "Resolution SLA met", "%", "sla_resolution_pct", "sla_resolution_met",
     "sla_resolution_total", "resolution_breached"),
    ("reopen_rate", "Reopen rate", "%", "reopen_pct", "reopened", "opened", "reopened"),
    ("reassignment_rate", "Reassignment rate", "%", "reassignment_pct", "reassigned", "opened",
     "reassigned"),
    ("major", "Major incidents", "count", "major", "", "", "major"),
    ("satisfaction", "Satisfaction (incidents)", "score", "satisfaction_mean",
     "satisfaction_sum", "surveys_answered", ""),
)  # fmt: skip


def headline_kpis(filters: Filters, m: Measures) -> list[Kpi]:
    """The incident KPIs of docs/kpis.md, in the order the dashboard and reports show them."""
    result = []
    for key, label, unit, value, numerator, denominator, measure in HEADLINES:
        result.append(
            Kpi(
                key=key,
                label=label,
                value=getattr(m, value),
                unit=unit,
                numerator=getattr(m, numerator) if numerator else None,
                denominator=getattr(m, denominator) if denominator else None,
                drill_url=drill_url(filters, measure) if measure else "",
            )
        )
    return result


def _rows(filters: Filters, dimension: str) -> list[Row]:
    entries = kpis.breakdown(filters, dimension)
    names = _names(dimension, [key for key, _ in entries])
    rows = []
    for key, measures in entries:
        value = key if key is not None else "none"
        query = filters.query(measure="opened", **{f"drill_{dimension}": value})
        rows.append(Row(key, names.get(key, "(none)"), measures, query))
    return rows


def _names(dimension: str, keys: list[Any]) -> dict[Any, str]:
    ids = [key for key in keys if key is not None]
    if dimension == "priority":
        return {key: Priority(key).label for key in ids if key in Priority.values}
    model: Any = {"group": SupportGroup, "service": ConfigurationItem, "category": Category}[
        dimension
    ]
    if model is ConfigurationItem:
        return {pk: f"{ci.name}" for pk, ci in model.objects.only("name").in_bulk(ids).items()}
    return {pk: str(obj.name) for pk, obj in model.objects.only("name").in_bulk(ids).items()}


def filter_labels(filters: Filters) -> dict[str, str]:
    """The names of the filter values, for headings ("Service: E-mail")."""
    labels = {}
    for name in ("service", "group", "priority", "category"):
        value = getattr(filters, name)
        if value is not None:
            labels[name] = _names(name, [value]).get(value, f"#{value}")
    return labels


def _top_cis(filters: Filters) -> list[tuple[str, int, str]]:
    ranked = kpis.top_configuration_items(filters)
    names = _names("service", [key for key, _ in ranked])
    return [
        (names.get(key, f"#{key}"), count, drill_url(filters, "opened", drill_ci=key))
        for key, count in ranked
    ]


def age_condition(index: int) -> Q:
    """The open facts of backlog age bucket ``index`` (days since opened, as of today)."""
    _, low, high = AGE_BUCKETS[index]
    today = timezone.localdate()
    condition = Q(opened_day__lte=today - dt.timedelta(days=low))
    if high is not None:
        condition &= Q(opened_day__gt=today - dt.timedelta(days=high))
    return condition


def _backlog(filters: Filters) -> tuple[list[tuple[str, int, str]], int]:
    """Open incidents now (whatever the period) by age, for the filters' dimensions."""
    counts: dict[str, Any] = {
        f"age{index}": Count("pk", filter=age_condition(index)) for index in range(len(AGE_BUCKETS))
    }
    row = IncidentFact.objects.filter(is_open=True, **filters.dimensions()).aggregate(**counts)
    buckets = [
        (label, row[f"age{index}"], drill_url(filters, "backlog", age=index))
        for index, (label, _, _) in enumerate(AGE_BUCKETS)
    ]
    return buckets, sum(count for _, count, _ in buckets)


def _changes(filters: Filters) -> list[Change]:
    changes = []
    for label, days in (("Week over week", 7), ("Month over month", 30)):
        end = filters.end
        now = kpis.totals(filters.with_period(end - dt.timedelta(days=days), end), CHANGE_MEASURES)
        before_period = (end - dt.timedelta(days=2 * days), end - dt.timedelta(days=days))
        before = kpis.totals(filters.with_period(*before_period), CHANGE_MEASURES)
        changes.append(
            Change(
                label, days, now.opened, before.opened, now.mttr_hours, before.mttr_hours,
                now.sla_resolution_pct, before.sla_resolution_pct,
            )
        )  # fmt: skip
    return changes
