"""Drill-down: the incidents behind a dashboard figure.

A figure's link carries the dashboard's filters, the measure (``opened``, ``resolved``,
``resolution_breached``…) and, for a breakdown row, a chart bar or a heat-map cell, the value it
stands for (``drill_group=7``, ``drill_hour=33``, ``drill_ci=12``; ``none`` for "no group").
The incidents listed are exactly those the figure counts."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from watchkeeper.reporting.dashboard import AGE_BUCKETS, age_condition
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.incident_kpis import facts
from watchkeeper.reporting.models import IncidentFact

MEASURES: dict[str, tuple[str, Q]] = {
    "opened": ("Incidents opened", Q()),
    "open": ("Still open", Q(is_open=True)),
    "acknowledged": ("Acknowledged", Q(ack_seconds__isnull=False)),
    "resolved": ("Resolved", Q(resolve_seconds__isnull=False)),
    "first_contact": ("Resolved at first contact", Q(first_contact=True)),
    "first_level": ("Resolved at first level", Q(first_level=True)),
    "response_breached": ("Response SLA missed", Q(sla_response_met=False)),
    "resolution_breached": ("Resolution SLA missed", Q(sla_resolution_met=False)),
    "reopened": ("Reopened", Q(reopen_count__gt=0)),
    "reassigned": ("Reassigned", Q(reassignment_count__gt=0)),
    "major": ("Major incidents", Q(is_major=True)),
    "backlog": ("Open now", Q(is_open=True)),
}
DRILL_FIELDS = {
    "drill_priority": "priority",
    "drill_group": "group_id",
    "drill_service": "service_id",
    "drill_category": "category_id",
    "drill_ci": "configuration_item_id",
    "drill_hour": "hour_of_week",
}


def drill_facts(filters: Filters, params: Mapping[str, str]) -> tuple[str, QuerySet]:
    """The title and the facts behind a figure; ``ValidationError`` for a bad parameter."""
    measure = params.get("measure") or "opened"
    if measure not in MEASURES:
        raise ValidationError({"measure": f"Measure must be one of {', '.join(MEASURES)}."})
    title, condition = MEASURES[measure]
    if measure == "backlog":
        queryset = IncidentFact.objects.filter(is_open=True, **filters.dimensions())
        queryset = queryset.filter(_age(params.get("age")))
    else:
        queryset = facts(filters).filter(condition)
    for name, field in DRILL_FIELDS.items():
        value = params.get(name)
        if value == "none":
            queryset = queryset.filter(**{f"{field}__isnull": True})
        elif value:
            if not value.isdigit():
                raise ValidationError({name: f"{name} must be a number or 'none'."})
            queryset = queryset.filter(**{field: int(value)})
    return title, queryset


def _age(index: str | None) -> Q:
    if not index:
        return Q()
    if not index.isdigit() or int(index) >= len(AGE_BUCKETS):
        raise ValidationError({"age": f"Age must be 0 to {len(AGE_BUCKETS) - 1}."})
    return age_condition(int(index))
