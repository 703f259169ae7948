"""What the dashboard page shows, built from ``IncidentDashboard``: the charts (``charts``),
the rows of their data tables, the period shortcuts and the download links.

No queries here except the drill-down URLs' ``reverse``; the figures all come from
``reporting.dashboard`` (which the reports and the API use too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from watchkeeper.reporting import charts
from watchkeeper.reporting.dashboard import Change, IncidentDashboard, Row, drill_url
from watchkeeper.reporting.filters import EPOCH, PERIODS, Filters
from watchkeeper.reporting.incident_kpis import Bucket
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.process_kpis import Window, availability_rows, kpis_for

ONE_DAY = dt.timedelta(days=1)
SHORTCUTS = [(key, f"Last {days} days") for key, days in PERIODS.items()] + [("all", "All time")]
DIMENSION_TITLES = {
    "priority": "By priority",
    "group": "By assignment group",
    "service": "By service",
    "category": "By category",
}
CHART_BARS = 10
TABLE_ROWS = 10
#: What a headline's link lists, when that is not simply the incidents the figure counts.
DRILL_HINTS = {
    "backlog": "the incidents still open",
    "mtta": "the acknowledged incidents",
    "mttr": "the resolved incidents",
    "fcr": "the incidents resolved at first contact",
    "first_level": "the incidents resolved at first level",
    "sla_response": "the incidents that missed it",
    "sla_resolution": "the incidents that missed it",
    "reopen_rate": "the reopened incidents",
    "reassignment_rate": "the reassigned incidents",
}


def period_label(filters: Filters) -> str:
    last = filters.end - ONE_DAY
    if filters.start == EPOCH:
        return f"all time to {last.isoformat()}"
    return f"{filters.start.isoformat()} to {last.isoformat()}"


def bucket_label(bucket: Bucket, granularity: str, *, short: bool = False) -> str:
    """Days "Tue 2026-03-03" ("3 Mar"), weeks "Week from 2026-03-02", months "March 2026"."""
    start = bucket.start
    if granularity == "month":
        return start.strftime("%b %Y" if short else "%B %Y")
    if granularity == "week":
        return f"{start.day} {start:%b}" if short else f"Week from {start.isoformat()}"
    return f"{start.day} {start:%b}" if short else f"{start:%a} {start.isoformat()}"


def report_url(name: str, path: str, query: str) -> str:
    """A download of the same figures; the reports app may not name its URLs yet."""
    try:
        base = reverse(f"reporting_reports:{name}")
    except NoReverseMatch:
        base = path
    return f"{base}?{query}"


def shortcuts(filters: Filters, path: str, current: str) -> list[tuple[str, str, bool]]:
    """The period shortcuts (label, link, current?), keeping the dimension filters."""
    dims = {name: getattr(filters, name) for name in ("service", "group", "priority", "category")}
    kept = {name: value for name, value in dims.items() if value is not None}
    return [
        (label, f"{path}?{urlencode({'period': key, **kept})}", key == current)
        for key, label in SHORTCUTS
    ]


@dataclass(frozen=True)
class TrendRow:
    label: str
    measures: Measures
    opened_href: str
    resolved_href: str
    unusual: bool


@dataclass(frozen=True)
class Breakdown:
    """A dimension's rows with their drill-down links: the first ``TABLE_ROWS`` shown, the
    ``more`` folded away (groups and categories run into the hundreds)."""

    name: str
    title: str
    rows: list[tuple[Row, str]]
    more: list[tuple[Row, str]]
    chart: SafeString


@dataclass(frozen=True)
class ChangeRow:
    change: Change
    now_href: str
    before_href: str

    @property
    def direction(self) -> str:
        """ "up", "down" or "same" (no earlier figure: "")."""
        pct = self.change.opened_change_pct
        if pct is None:
            return ""
        return "up" if pct > 0 else "down" if pct < 0 else "same"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "→"}.get(self.direction, "")


def trend_rows(board: IncidentDashboard) -> list[TrendRow]:
    filters = board.filters
    return [
        TrendRow(
            bucket_label(bucket, board.granularity),
            bucket.measures,
            drill_url(filters.with_period(bucket.start, bucket.end), "opened"),
            drill_url(filters.with_period(bucket.start, bucket.end), "resolved"),
            bucket.unusual,
        )
        for bucket in board.trend
    ]


def trend_chart(board: IncidentDashboard, rows: list[TrendRow]) -> SafeString:
    points = [
        charts.TrendPoint(
            bucket_label(bucket, board.granularity, short=True),
            bucket.measures.opened,
            bucket.measures.resolved,
            row.opened_href,
            row.resolved_href,
            bucket.unusual,
        )
        for bucket, row in zip(board.trend, rows, strict=True)
    ]
    title = f"Incidents opened and resolved per {board.granularity}, {period_label(board.filters)}"
    return charts.trend_chart(points, title=title)


def breakdowns(board: IncidentDashboard) -> list[Breakdown]:
    base = reverse("reporting:drill")
    sections = []
    for name, rows in board.breakdowns.items():
        linked = [(row, f"{base}?{row.drill_query}") for row in rows]
        bars = [charts.Bar(row.label, row.measures.opened, href) for row, href in linked]
        title = f"Incidents opened {DIMENSION_TITLES[name].lower()} (top {CHART_BARS})"
        chart = charts.bar_chart(bars[:CHART_BARS], title=title, unit="opened")
        shown, more = linked[:TABLE_ROWS], linked[TABLE_ROWS:]
        sections.append(Breakdown(name, DIMENSION_TITLES[name], shown, more, chart))
    return sections


def heat_rows(board: IncidentDashboard) -> list[tuple[str, list[tuple[int, str]]]]:
    filters = board.filters
    return [
        (
            charts.DAYS[day],
            [
                (count, drill_url(filters, "opened", drill_hour=day * 24 + hour) if count else "")
                for hour, count in enumerate(row)
            ],
        )
        for day, row in enumerate(board.heat_map)
    ]


def change_rows(board: IncidentDashboard) -> list[ChangeRow]:
    filters, end = board.filters, board.filters.end
    rows = []
    for change in board.changes:
        span = dt.timedelta(days=change.days)
        now = drill_url(filters.with_period(end - span, end), "opened")
        before = drill_url(filters.with_period(end - 2 * span, end - span), "opened")
        rows.append(ChangeRow(change, now, before))
    return rows


def page_context(board: IncidentDashboard, *, path: str, current: str) -> dict[str, Any]:
    """Everything the dashboard template needs besides the filter form."""
    filters = board.filters
    trend = trend_rows(board)
    top_cis = [charts.Bar(name, count, href) for name, count, href in board.top_cis]
    heat = charts.heat_map(
        board.heat_map,
        title=f"Incidents opened per weekday and hour, {period_label(filters)}",
        href=lambda day, hour: drill_url(filters, "opened", drill_hour=day * 24 + hour),
    )
    query = filters.query()
    window = Window(filters.start, filters.end, filters.service)  # availability computed once
    return {
        "board": board,
        "process_tiles": kpis_for(window, refresh=False),  # incident_dashboard refreshed
        "availability": availability_rows(window),
        "tiles": [(kpi, DRILL_HINTS.get(kpi.key, "the incidents")) for kpi in board.kpis],
        "period_label": period_label(filters),
        "shortcuts": shortcuts(filters, path, current),
        "trend": trend,
        "trend_chart": trend_chart(board, trend),
        "unusual": [row for row in trend if row.unusual],
        "changes": change_rows(board),
        "breakdowns": breakdowns(board),
        "heat_chart": heat,
        "heat_rows": heat_rows(board),
        "hours": range(24),
        "top_cis": top_cis,
        "top_ci_chart": charts.bar_chart(
            top_cis, title="Configuration items with the most incidents opened", unit="opened"
        ),
        "query": query,
        "pdf_url": report_url("incidents_pdf", "/reports/incidents.pdf", query),
        "csv_url": report_url("incidents_csv", "/reports/incidents.csv", query),
    }
