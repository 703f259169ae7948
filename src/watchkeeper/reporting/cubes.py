"""Monthly cubes: the facts of each month summed per priority, group, service and category (and
counted per configuration item and hour of the week). Only sums and counts, so a figure read from
the cubes equals the same figure read from the facts; ``reporting.incident_kpis`` reads whole
months here and the days at the edges of a period from the facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from watchkeeper.reporting.models import IncidentCountCube, IncidentFact, IncidentMonthCube

DIMENSIONS = ("priority", "group", "service", "category")
#: The cube's measures, each as an aggregate over facts (the cube sums them again).
MEASURES: dict[str, Any] = {
    "opened": Count("pk"),
    "open_now": Count("pk", filter=Q(is_open=True)),
    "major": Count("pk", filter=Q(is_major=True)),
    "resolved": Count("resolve_seconds"),
    "resolve_seconds": Coalesce(Sum("resolve_seconds"), 0),
    "acknowledged": Count("ack_seconds"),
    "ack_seconds": Coalesce(Sum("ack_seconds"), 0),
    "first_contact": Count("pk", filter=Q(first_contact=True)),
    "first_level": Count("pk", filter=Q(first_level=True)),
    "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    "reassigned": Count("pk", filter=Q(reassignment_count__gt=0)),
    "reassignments": Coalesce(Sum("reassignment_count"), 0),
    "sla_response_total": Count("sla_response_met"),
    "sla_response_met": Count("pk", filter=Q(sla_response_met=True)),
    "sla_resolution_total": Count("sla_resolution_met"),
    "sla_resolution_met": Count("pk", filter=Q(sla_resolution_met=True)),
    "surveys_answered": Count("satisfaction"),
    "satisfaction_sum": Coalesce(Sum("satisfaction"), 0),
}


def cube_sums() -> dict[str, Any]:
    """The same measures read back from the cube: every one is a sum of the cube's column."""
    return {name: Coalesce(Sum(name), 0) for name in MEASURES}


def months_present() -> set[dt.date]:
    months = set(IncidentFact.objects.values_list("opened_month", flat=True).distinct())
    months |= set(IncidentMonthCube.objects.values_list("month", flat=True).distinct())
    return months


def rebuild(months: Iterable[dt.date]) -> None:
    """Recompute the cubes of ``months`` from their facts (inside the caller's transaction)."""
    for month in sorted(set(months)):
        IncidentMonthCube.objects.filter(month=month).delete()
        IncidentCountCube.objects.filter(month=month).delete()
        facts = IncidentFact.objects.filter(opened_month=month)
        rows = facts.values(*(f"{name}_id" if name != "priority" else name for name in DIMENSIONS))
        IncidentMonthCube.objects.bulk_create(
            [IncidentMonthCube(month=month, **row) for row in rows.annotate(**MEASURES)],
            batch_size=500,
        )
        counts = [
            IncidentCountCube(month=month, dimension="ci", key=row["key"] or 0, opened=row["n"])
            for row in facts.values(key=F("configuration_item_id")).annotate(n=Count("pk"))
        ] + [
            IncidentCountCube(month=month, dimension="hour", key=row["key"], opened=row["n"])
            for row in facts.values(key=F("hour_of_week")).annotate(n=Count("pk"))
        ]
        IncidentCountCube.objects.bulk_create(counts, batch_size=500)
