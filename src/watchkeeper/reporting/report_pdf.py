"""The incident report as a PDF (fpdf2, A4 portrait): the filters in words, the period and when
it was generated; the KPI table; the trend drawn as bars (opened) and a line (resolved); week
over week and month over month; the breakdowns; top configuration items; the backlog; the other
processes' KPIs and the satisfaction surveys; page numbers in the footer.

It uses the PDF core fonts, which hold Latin-1 only: other characters are simplified there
(``access.review_report.latin1``; the CSV keeps them all). The text depends on the report only
(the generation time is the report's), so the same report gives the same text.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF, FontFace

from watchkeeper.core.exports import latin1
from watchkeeper.reporting.dashboard import IncidentDashboard
from watchkeeper.reporting.incident_kpis import Bucket
from watchkeeper.reporting.report_csv import (
    DIMENSIONS,
    IncidentReport,
    display,
    filter_words,
    generated_words,
    period_words,
)

TITLE = "Incident report"
#: Rows of a breakdown shown in the PDF (the CSV has them all).
BREAKDOWN_ROWS = 15
CHART_HEIGHT = 45.0
OPENED_COLOUR = (52, 101, 164)
UNUSUAL_COLOUR = (204, 0, 0)
RESOLVED_COLOUR = (230, 140, 20)
GREY = (120, 120, 120)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))


class ReportPdf(FPDF):
    """A4 portrait with "Incident report - page N of M" at the foot of every page."""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", "I", 8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"{TITLE} - page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def to_pdf(report: IncidentReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes; ``compress=False`` leaves the text readable in the file."""
    pdf = ReportPdf(orientation="portrait", format="A4")
    pdf.set_compression(compress)
    pdf.set_creator("Watchkeeper")
    pdf.set_title(latin1(f"{TITLE} {period_words(report.filters)}"))
    pdf.set_creation_date(report.generated_at)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _title(pdf, report)
    board = report.dashboard
    _kpis(pdf, "Key figures", board.kpis)
    _trend(pdf, board)
    _changes(pdf, board)
    _breakdowns(pdf, board)
    _top_and_backlog(pdf, board)
    _kpis(pdf, "Other processes (period and service)", report.process)
    _satisfaction(pdf, report)
    return bytes(pdf.output())


def _title(pdf: FPDF, report: IncidentReport) -> None:
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(text=TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("helvetica", size=10)
    lines = [f"Period: {period_words(report.filters)}"]
    lines += [f"{name}: {value}" for name, value in filter_words(report)]
    lines.append(f"Generated {generated_words(report.generated_at)} from Watchkeeper's records.")
    for line in lines:
        pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: FPDF, text: str, room: float = 30) -> None:
    """A section heading, on a new page when less than ``room`` mm would follow it."""
    pdf.ln(4)
    if pdf.will_page_break(room):
        pdf.add_page()
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(text=latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(
    pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> None:
    """A table: the first column left-aligned, the figures right-aligned."""
    pdf.set_font("helvetica", size=9)
    align = ("LEFT", *("RIGHT" for _ in header[1:]))
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        col_widths=tuple(widths),
        line_height=5,
        text_align=align,
        width=pdf.epw,
        headings_style=HEADINGS,
    ) as table:
        heading = table.row()
        for title in header:
            heading.cell(latin1(title))
        for values in rows:
            cells = table.row()
            for value in values:
                cells.cell(latin1(value))


def _of(kpi: Any) -> str:
    """What a figure counts: "3 of 4" for a share, "12 answers" for a score, "5 records"
    for a mean."""
    if kpi.denominator is None:
        return ""
    if kpi.unit == "%" and kpi.numerator is not None:
        return f"{kpi.numerator:,} of {kpi.denominator:,}"
    noun = "answer" if kpi.unit == "score" else "record"
    return f"{kpi.denominator:,} {noun}{'s' if kpi.denominator != 1 else ''}"


def _kpis(pdf: FPDF, title: str, kpis: Sequence[Any]) -> None:
    _heading(pdf, title)
    if not kpis:
        _note(pdf, "No figures.")
        return
    rows = [(kpi.label, kpi.display, _of(kpi)) for kpi in kpis]
    _table(pdf, ("KPI", "Value", "Counted"), rows, (90, 40, 50))


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", "I", 9)
    pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _trend(pdf: FPDF, board: IncidentDashboard) -> None:
    _heading(pdf, f"Trend (per {board.granularity})", room=CHART_HEIGHT + 25)
    buckets = board.trend
    if not buckets:
        _note(pdf, "No incidents in the period.")
        return
    top = pdf.get_y() + 6
    peak = max(max(b.measures.opened, b.measures.resolved) for b in buckets) or 1
    _axes(pdf, top, peak, buckets)
    slot = pdf.epw / len(buckets)
    base = top + CHART_HEIGHT
    for index, bucket in enumerate(buckets):
        height = CHART_HEIGHT * bucket.measures.opened / peak
        if height:
            pdf.set_fill_color(*(UNUSUAL_COLOUR if bucket.unusual else OPENED_COLOUR))
            x = pdf.l_margin + index * slot + slot * 0.15
            pdf.rect(x, base - height, slot * 0.7, height, style="F")
    points = [
        (pdf.l_margin + (index + 0.5) * slot, base - CHART_HEIGHT * b.measures.resolved / peak)
        for index, b in enumerate(buckets)
    ]
    pdf.set_draw_color(*RESOLVED_COLOUR)
    pdf.set_line_width(0.7)
    for start, end in itertools.pairwise(points):
        pdf.line(*start, *end)
    if len(points) == 1:
        pdf.line(points[0][0] - slot * 0.4, points[0][1], points[0][0] + slot * 0.4, points[0][1])
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    _legend(pdf, base + 7, board)


def _axes(pdf: FPDF, top: float, peak: int, buckets: list[Bucket]) -> None:
    left, right, base = pdf.l_margin, pdf.l_margin + pdf.epw, top + CHART_HEIGHT
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(left, base, right, base)
    pdf.set_dash_pattern(dash=0.8, gap=0.8)
    pdf.line(left, top, right, top)
    pdf.set_dash_pattern()
    pdf.set_font("helvetica", size=8)
    pdf.set_text_color(*GREY)
    pdf.set_xy(left, top - 4.5)
    pdf.cell(text=f"{peak:,}")
    first, last = buckets[0].start, buckets[-1].end - dt.timedelta(days=1)
    pdf.set_xy(left, base + 0.5)
    pdf.cell(text=first.isoformat())
    pdf.set_xy(right - 30, base + 0.5)
    pdf.cell(30, text=last.isoformat(), align="R")
    pdf.set_text_color(0, 0, 0)


def _legend(pdf: FPDF, y: float, board: IncidentDashboard) -> None:
    x = pdf.l_margin
    pdf.set_font("helvetica", size=8)
    pdf.set_fill_color(*OPENED_COLOUR)
    pdf.rect(x, y + 1, 4, 3, style="F")
    pdf.set_xy(x + 5, y)
    pdf.cell(text="Opened")
    pdf.set_draw_color(*RESOLVED_COLOUR)
    pdf.set_line_width(0.7)
    pdf.line(x + 25, y + 2.5, x + 30, y + 2.5)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(x + 31, y)
    pdf.cell(text="Resolved (of those opened)")
    if board.unusual:
        pdf.set_fill_color(*UNUSUAL_COLOUR)
        pdf.rect(x + 75, y + 1, 4, 3, style="F")
        pdf.set_xy(x + 80, y)
        pdf.cell(text=f"Unusual volume ({len(board.unusual)})")
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, y + 6)


def _hours(value: float | None) -> str:
    return display(value, "hours")


def _percent(value: float | None) -> str:
    return display(value, "%")


def _changes(pdf: FPDF, board: IncidentDashboard) -> None:
    _heading(pdf, "Week over week and month over month")
    rows = []
    for change in board.changes:
        moved = change.opened_change_pct
        rows.append((
            change.label, f"{change.opened_now:,}", f"{change.opened_before:,}",
            "-" if moved is None else f"{moved:+.1f} %",
            f"{_hours(change.mttr_now)} / {_hours(change.mttr_before)}",
            f"{_percent(change.sla_now)} / {_percent(change.sla_before)}",
        ))  # fmt: skip
    header = ("Comparison", "Opened", "Before", "Change", "MTTR now / before",
              "Res. SLA now / before")  # fmt: skip
    _table(pdf, header, rows, (45, 18, 18, 20, 39, 40))


def _breakdowns(pdf: FPDF, board: IncidentDashboard) -> None:
    header = ("Opened", "Resolved", "MTTR", "Res. SLA", "Reopen", "Reassign.")
    for key, title in DIMENSIONS:
        rows = board.breakdowns.get(key, [])
        _heading(pdf, f"By {title.lower()}")
        if not rows:
            _note(pdf, "No incidents in the period.")
            continue
        shown = [
            (row.label, f"{m.opened:,}", f"{m.resolved:,}", _hours(m.mttr_hours),
             _percent(m.sla_resolution_pct), _percent(m.reopen_pct),
             _percent(m.reassignment_pct))
            for row in rows[:BREAKDOWN_ROWS] for m in (row.measures,)
        ]  # fmt: skip
        _table(pdf, (title, *header), shown, (54, 18, 20, 22, 22, 22, 22))
        if len(rows) > BREAKDOWN_ROWS:
            _note(pdf, f"And {len(rows) - BREAKDOWN_ROWS} more (the CSV lists them all).")


def _top_and_backlog(pdf: FPDF, board: IncidentDashboard) -> None:
    _heading(pdf, "Top configuration items (incidents opened)")
    if board.top_cis:
        rows = [(name, f"{count:,}") for name, count, _ in board.top_cis]
        _table(pdf, ("Configuration item", "Opened"), rows, (140, 40))
    else:
        _note(pdf, "No incidents with a configuration item in the period.")
    _heading(pdf, "Backlog (open now, whatever the period, by age)")
    rows = [(label, f"{count:,}") for label, count, _ in board.backlog]
    rows.append(("Total", f"{board.backlog_total:,}"))
    _table(pdf, ("Age", "Open incidents"), rows, (140, 40))


def _satisfaction(pdf: FPDF, report: IncidentReport) -> None:
    results = report.satisfaction
    _heading(pdf, "Satisfaction surveys")
    rate = "-" if results.response_rate is None else f"{results.response_rate:.1f} %"
    mean = "-" if results.mean_score is None else f"{results.mean_score:.2f} / 5"
    spread = ", ".join(f"{score}: {n}" for score, n in sorted(results.distribution.items()))
    rows = [
        ("Surveys sent in the period", f"{results.sent:,}"),
        ("Of those, answered", f"{results.responded:,} ({rate})"),
        ("Answers given in the period", f"{results.answered:,}"),
        ("Mean score", mean),
        ("Answers per score", spread or "-"),
    ]
    _table(pdf, ("Survey figure", "Value"), rows, (100, 80))
