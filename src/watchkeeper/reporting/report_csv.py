"""The incident report: its content (``incident_report``: the dashboard's figures, the process
KPIs and the survey results of one set of filters) and that content as one CSV file.

The CSV is a series of sections, each a title row, a header row, its rows and an empty row, so a
spreadsheet shows it as one sheet and a script splits it on the empty rows. It is UTF-8 with a
byte order mark: Excel reads the BOM as "this is UTF-8" (without it, names with accents come out
garbled), and Python's ``utf-8-sig`` and most CSV readers skip it. Numbers are written plain
(``.`` decimals, no thousands separators), fractions with two decimals; a figure with nothing to
measure is an empty cell. Text cells that a spreadsheet would run as a formula get a leading
apostrophe (``access.review_report.guard``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from watchkeeper.core.exports import guard
from watchkeeper.reporting.dashboard import IncidentDashboard, incident_dashboard
from watchkeeper.reporting.filters import EPOCH, Filters
from watchkeeper.reporting.kpi import Kpi
from watchkeeper.reporting.surveys import SurveyResults

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("priority", "Priority"), ("group", "Group"), ("service", "Service"), ("category", "Category"),
)  # fmt: skip
KPI_HEADER = ("Key", "Label", "Value", "Unit", "Numerator", "Denominator")

Section = tuple[str, Sequence[str], list[Sequence[Any]]]


@dataclass
class IncidentReport:
    """Everything one report shows: ``process`` holds the process KPIs (``process_kpis``) of
    the period and service, ``satisfaction`` the survey results of the period, service and
    group."""

    dashboard: IncidentDashboard
    process: list[Any]
    satisfaction: SurveyResults
    generated_at: dt.datetime

    @property
    def filters(self) -> Filters:
        return self.dashboard.filters


def incident_report(
    filters: Filters, *, now: dt.datetime | None = None, refresh: bool = True
) -> IncidentReport:
    """The report of ``filters``, exact as of ``now`` (the facts are refreshed first unless
    ``refresh`` is false: a job sending many reports refreshes once)."""
    from watchkeeper.reporting.process_kpis import process_kpis
    from watchkeeper.reporting.surveys import survey_results

    now = now or timezone.now()
    last_day = filters.end - dt.timedelta(days=1)
    return IncidentReport(
        dashboard=incident_dashboard(filters, refresh=refresh),
        process=process_kpis(filters.start, filters.end, filters.service, now=now),
        satisfaction=survey_results(filters.start, last_day, filters.service, filters.group),
        generated_at=now,
    )


def period_words(filters: Filters) -> str:
    """ "2026-03-01 to 2026-03-31 (31 days)": both days included, as people write periods
    ("all time, up to 2026-11-26" for the *All time* period)."""
    last = filters.end - dt.timedelta(days=1)
    if filters.start == EPOCH:
        return f"all time, up to {last.isoformat()}"
    days = f"{filters.days} day{'s' if filters.days != 1 else ''}"
    if last == filters.start:
        return f"{filters.start.isoformat()} ({days})"
    return f"{filters.start.isoformat()} to {last.isoformat()} ({days})"


def filter_words(report: IncidentReport) -> list[tuple[str, str]]:
    """The filters as people read them: ("Service", "E-mail"), ("Group", "All groups")..."""
    labels = report.dashboard.labels
    return [
        ("Service", labels.get("service", "All services")),
        ("Group", labels.get("group", "All groups")),
        ("Priority", labels.get("priority", "All priorities")),
        ("Category", labels.get("category", "All categories")),
    ]


def generated_words(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} ({local.tzname()})"


def display(value: float | None, unit: str) -> str:
    """A figure as people read it ("12.5 h", "97.1 %", "1,234", "-"), for any KPI's unit."""
    return Kpi("", "", value, unit).display


def number(value: Any) -> str:
    """A CSV number: integers as they are, fractions with two decimals, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard(str(value))


def to_csv(report: IncidentReport) -> bytes:
    """The report as CSV bytes (UTF-8 with a BOM, CRLF line ends as RFC 4180 says)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for title, header, rows in sections(report):
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows([number(value) for value in row] for row in rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sections(report: IncidentReport) -> Iterator[Section]:
    board = report.dashboard
    yield "Incident report", ("Field", "Value"), _heading_rows(report)
    yield "KPIs", KPI_HEADER, [_kpi_row(kpi) for kpi in board.kpis]
    yield f"Trend (per {board.granularity})", TREND_HEADER, _trend_rows(board)
    yield "Breakdowns", BREAKDOWN_HEADER, _breakdown_rows(board)
    hours = tuple(f"{hour:02d}" for hour in range(24))
    heat: list[Sequence[Any]] = [
        (WEEKDAYS[day], *counts) for day, counts in enumerate(board.heat_map)
    ]
    yield "Heat map (incidents opened per weekday and hour)", ("Weekday", *hours), heat
    backlog = [(label, count) for label, count, _ in board.backlog]
    yield "Backlog (open now, by age)", ("Age", "Open incidents"), [*backlog, ("Total",
          board.backlog_total)]  # fmt: skip
    top: list[Sequence[Any]] = [(name, count) for name, count, _ in board.top_cis]
    yield "Top configuration items", ("Configuration item", "Opened"), top
    yield "Changes", CHANGE_HEADER, [_change_row(change) for change in board.changes]
    yield "Process KPIs (period and service)", KPI_HEADER, [_kpi_row(k) for k in report.process]
    yield "Satisfaction surveys", ("Field", "Value"), _survey_rows(report.satisfaction)


def _heading_rows(report: IncidentReport) -> list[Sequence[Any]]:
    filters = report.filters
    last = filters.end - dt.timedelta(days=1)
    return [
        ("Period start", filters.start),
        ("Period end", last),
        ("Days", filters.days),
        *filter_words(report),
        ("Generated at", timezone.localtime(report.generated_at).isoformat(timespec="seconds")),
    ]


def _kpi_row(kpi: Any) -> Sequence[Any]:
    return (kpi.key, kpi.label, kpi.value, kpi.unit, kpi.numerator, kpi.denominator)


TREND_HEADER = ("Start", "End", "Opened", "Resolved", "MTTR h", "Resolution SLA %", "Unusual")


def _trend_rows(board: IncidentDashboard) -> list[Sequence[Any]]:
    return [
        (
            bucket.start, bucket.end - dt.timedelta(days=1), bucket.measures.opened,
            bucket.measures.resolved, bucket.measures.mttr_hours,
            bucket.measures.sla_resolution_pct, bucket.unusual,
        )
        for bucket in board.trend
    ]  # fmt: skip


BREAKDOWN_HEADER = ("Dimension", "Name", "Opened", "Resolved", "MTTR h", "Resolution SLA %",
                    "Reopen %", "Reassignment %")  # fmt: skip


def _breakdown_rows(board: IncidentDashboard) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = []
    for key, title in DIMENSIONS:
        for row in board.breakdowns.get(key, []):
            m = row.measures
            rows.append((title, row.label, m.opened, m.resolved, m.mttr_hours,
                         m.sla_resolution_pct, m.reopen_pct, m.reassignment_pct))  # fmt: skip
    return rows


CHANGE_HEADER = ("Comparison", "Days", "Opened now", "Opened before", "Opened change %",
                 "MTTR now h", "MTTR before h", "Resolution SLA now %",
                 "Resolution SLA before %")  # fmt: skip


def _change_row(change: Any) -> Sequence[Any]:
    return (change.label, change.days, change.opened_now, change.opened_before,
            change.opened_change_pct, change.mttr_now, change.mttr_before, change.sla_now,
            change.sla_before)  # fmt: skip


def _survey_rows(results: SurveyResults) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = [
        ("Surveys sent", results.sent),
        ("Of those, answered", results.responded),
        ("Response rate %", results.response_rate),
        ("Answers given in the period", results.answered),
        ("Mean score (1-5)", results.mean_score),
    ]
    rows += [(f"Answers with score {score}", count) for score, count in
             sorted(results.distribution.items())]  # fmt: skip
    return rows
