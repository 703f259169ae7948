"""Incident KPIs for a period and filters, read from the facts and the monthly cubes.

A period is split into the whole months it covers (read from ``IncidentMonthCube``) and the days
at its edges (read from ``IncidentFact``); both hold the same sums, so the split changes the speed
and never the figure. Definitions: docs/kpis.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from watchkeeper.reporting.cubes import MEASURES, cube_sums
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.models import IncidentCountCube, IncidentFact, IncidentMonthCube

#: Breakdown dimension -> the fact and cube field that holds it.
DIMENSION_FIELDS = {
    "priority": "priority",
    "group": "group_id",
    "service": "service_id",
    "category": "category_id",
}
TREND_MEASURES: tuple[str, ...] = (
    "opened",
    "resolved",
    "resolve_seconds",
    "sla_resolution_total",
    "sla_resolution_met",
)


@dataclass(frozen=True)
class Span:
    """Part of a period: whole months ``[start, end)`` from the cube, or days from the facts."""

    start: dt.date
    end: dt.date
    whole_months: bool


def spans(start: dt.date, end: dt.date) -> list[Span]:
    """``[start, end)`` as: leading days, whole months, trailing days (the empty ones left out)."""
    first_month = start if start.day == 1 else _next_month(start)
    last_month = end.replace(day=1)
    if first_month >= last_month:
        return [Span(start, end, False)]
    parts = [Span(start, first_month, False), Span(first_month, last_month, True)]
    parts.append(Span(last_month, end, False))
    return [part for part in parts if part.start < part.end]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def facts(filters: Filters, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet:
    """The facts of the incidents opened in ``[start, end)`` (the filters' period by default)."""
    return IncidentFact.objects.filter(
        opened_day__gte=start or filters.start,
        opened_day__lt=end or filters.end,
        **filters.dimensions(),
    )


def _cube(filters: Filters, span: Span) -> QuerySet:
    return IncidentMonthCube.objects.filter(
        month__gte=span.start, month__lt=span.end, **filters.dimensions()
    )


def _sources(filters: Filters, names: tuple[str, ...]) -> Iterator[tuple[QuerySet, dict]]:
    """Each part of the period with the aggregates that read ``names`` from it."""
    for span in spans(filters.start, filters.end):
        if span.whole_months:
            sums = cube_sums()
            yield _cube(filters, span), {name: sums[name] for name in names}
        else:
            yield facts(filters, span.start, span.end), {name: MEASURES[name] for name in names}


def totals(filters: Filters, names: tuple[str, ...] = tuple(MEASURES)) -> Measures:
    result = Measures()
    for queryset, aggregates in _sources(filters, names):
        result.add(queryset.aggregate(**aggregates))
    return result


def breakdown(filters: Filters, dimension: str) -> list[tuple[int | None, Measures]]:
    """Measures per value of ``dimension`` (priority, group, service, category), most opened
    first."""
    field = DIMENSION_FIELDS[dimension]
    per_key: dict[int | None, Measures] = defaultdict(Measures)
    for queryset, aggregates in _sources(filters, tuple(MEASURES)):
        for row in queryset.values(field).annotate(**aggregates).order_by():
            per_key[row[field]].add(row)
    return sorted(per_key.items(), key=lambda item: (-item[1].opened, item[0] or 0))


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    end: dt.date
    measures: Measures
    unusual: bool = False


def granularity(filters: Filters) -> str:
    if filters.days <= 62:
        return "day"
    return "week" if filters.days <= 183 else "month"


def trend(filters: Filters) -> list[Bucket]:
    """The period in buckets (days, weeks from Monday, or months by its length), every bucket
    present even when nothing was opened in it."""
    unit = granularity(filters)
    per_start: dict[dt.date, Measures] = defaultdict(Measures)
    if unit == "month":
        for queryset, aggregates in _sources(filters, TREND_MEASURES):
            key = "month" if queryset.model is IncidentMonthCube else "opened_month"
            for row in queryset.values(key).annotate(**aggregates).order_by():
                per_start[max(row[key], filters.start)].add(row)
    else:
        aggregates = {name: MEASURES[name] for name in TREND_MEASURES}
        for row in facts(filters).values("opened_day").annotate(**aggregates).order_by():
            per_start[_bucket_start(row["opened_day"], unit, filters.start)].add(row)
    buckets = [
        Bucket(start, end, per_start.get(start, Measures()))
        for start, end in _bucket_bounds(filters, unit)
    ]
    return flag_unusual(buckets)


def _bucket_start(day: dt.date, unit: str, floor: dt.date) -> dt.date:
    if unit == "week":
        return max(day - dt.timedelta(days=day.weekday()), floor)
    return day


def _bucket_bounds(filters: Filters, unit: str) -> list[tuple[dt.date, dt.date]]:
    bounds, start = [], _first_bucket_start(filters, unit)
    while start < filters.end:
        if unit == "day":
            end = start + dt.timedelta(days=1)
        elif unit == "week":
            end = start + dt.timedelta(days=7 - start.weekday())
        else:
            end = _next_month(start)
        bounds.append((start, min(end, filters.end)))
        start = end
    return bounds


def _first_bucket_start(filters: Filters, unit: str) -> dt.date:
    """A period that starts before the first incident ("all time") is shown from the bucket of
    the first incident, not from the year 2000."""
    first = facts(filters).order_by("opened_day").values_list("opened_day", flat=True).first()
    if first is None or first <= filters.start:
        return filters.start
    if unit == "week":
        return max(first - dt.timedelta(days=first.weekday()), filters.start)
    return first if unit == "day" else max(first.replace(day=1), filters.start)


def flag_unusual(buckets: list[Bucket], history: int = 8) -> list[Bucket]:
    """A bucket is unusual when more were opened than the mean of the (up to) ``history``
    buckets before it plus three standard deviations, and at least 5 more than that mean; at
    least four earlier buckets are needed to judge."""
    flagged = []
    for index, bucket in enumerate(buckets):
        earlier = [b.measures.opened for b in buckets[max(0, index - history) : index]]
        unusual = False
        if len(earlier) >= 4:
            mean = sum(earlier) / len(earlier)
            spread = (sum((n - mean) ** 2 for n in earlier) / len(earlier)) ** 0.5
            opened = bucket.measures.opened
            unusual = opened > mean + 3 * spread and opened >= mean + 5
        flagged.append(Bucket(bucket.start, bucket.end, bucket.measures, unusual))
    return flagged


def heat_map(filters: Filters) -> list[list[int]]:
    """Incidents opened per weekday (rows, Monday first) and hour (columns)."""
    counts = _counts(filters, "hour", "hour_of_week")
    return [[counts.get(day * 24 + hour, 0) for hour in range(24)] for day in range(7)]


def top_configuration_items(filters: Filters, limit: int = 10) -> list[tuple[int, int]]:
    """The configuration items with the most incidents opened: ``(ci id, count)``."""
    counts = _counts(filters, "ci", "configuration_item_id")
    ranked = sorted(((key, n) for key, n in counts.items() if key), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]


def _counts(filters: Filters, dimension: str, fact_field: str) -> dict[int, int]:
    """Incidents opened per value of a count-cube dimension; whole months come from the count
    cube only without filters (it is not broken down by them)."""
    counts: dict[int, int] = defaultdict(int)
    for span in spans(filters.start, filters.end):
        if span.whole_months and not filters.dimensions():
            rows: Any = IncidentCountCube.objects.filter(
                month__gte=span.start, month__lt=span.end, dimension=dimension
            ).values_list("key", "opened")
        else:
            rows = (
                facts(filters, span.start, span.end)
                .values(key=F(fact_field))
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("key", "n")
            )
        for key, opened in rows:
            counts[key or 0] += opened
    return counts
