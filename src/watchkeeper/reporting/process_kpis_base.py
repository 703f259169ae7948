"""What the process KPIs share (``reporting.process_kpis``): the period and service filter they
are computed for (``Window``) and the small arithmetic they repeat. Each figure is a
``reporting.kpi.Kpi``, as the incident KPIs are, so dashboards and reports show both alike.

A period is ``[start, end)`` in days of the reporting time zone (``TIME_ZONE``), ``end``
excluded. A figure with nothing to measure is ``None``, never 0 (docs/kpis.md).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from watchkeeper.cmdb.graph import rests_on, walk
from watchkeeper.reporting.kpi import Kpi

__all__ = ["DAY", "HOUR", "Kpi", "Window", "drill", "mean_duration", "percent"]

#: How many items a service's walk may reach (as ``cmdb.backups.rates``).
WALK_LIMIT = 10_000
HOUR = 3600.0
DAY = 86400.0


class Window:
    """The period as aware times in the reporting zone, the service filter, and ``now`` (what
    is still open is measured up to it)."""

    def __init__(
        self,
        start: dt.date,
        end: dt.date,
        service_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        if end < start:
            raise ValueError("The end of the period is before its start.")
        zone = ZoneInfo(settings.TIME_ZONE)
        self.start_day, self.end_day = start, end
        self.since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
        self.until = dt.datetime.combine(end, dt.time.min, tzinfo=zone)
        self.service_id = service_id
        self.now = now or timezone.now()
        #: Results computed once per window (the availability rows feed a KPI and a table).
        self.cache: dict[str, Any] = {}

    @property
    def measured_until(self) -> dt.datetime:
        """The end of what can be measured: the period's end, or now if that is earlier."""
        return min(self.until, self.now)

    def during(self, field: str) -> dict[str, dt.datetime]:
        """The filter "``field`` falls in the period"."""
        return {f"{field}__gte": self.since, f"{field}__lt": self.until}

    @cached_property
    def items(self) -> list[int]:
        """The filtered service and everything it rests on (its scope in the CMDB)."""
        if self.service_id is None:
            return []
        reached, _partial = walk(self.service_id, rests_on, limit=WALK_LIMIT)
        return [self.service_id, *reached]


def mean_duration(
    rows: QuerySet[Any], begin: str, finish: str, unit: float
) -> tuple[float | None, int]:
    """The mean of ``finish - begin`` over ``rows`` in ``unit`` seconds (2 decimals), and how
    many rows; one aggregate query."""
    elapsed = ExpressionWrapper(F(finish) - F(begin), output_field=DurationField())
    totals = rows.aggregate(total=Sum(elapsed), n=Count("pk"))
    count = totals["n"] or 0
    if not count or totals["total"] is None:
        return None, count
    return round(totals["total"].total_seconds() / count / unit, 2), count


def percent(part: int, whole: int, digits: int = 1) -> float | None:
    """``part`` of ``whole`` in per cent; None when there is no whole."""
    return round(100 * part / whole, digits) if whole else None


def drill(name: str, *args: Any, query: str = "") -> str:
    """The page listing the records behind a figure, or "" when there is none."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url
