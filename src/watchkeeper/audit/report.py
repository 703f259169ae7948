"""The process audit report as a PDF: the period, the checks run in it, the findings of the
period by check and state, the open findings with owner and due date, the overdue ones, and the
result of the last history-chain verification.

Like the access review evidence (``access.review_report``) it uses the PDF core fonts, so text
is simplified to Latin-1 there, and it renders no user HTML. The chain result is the last run of
the ``trail.history_chain_broken`` check (re-hashing the whole history on every download would
cost minutes on a large database); run that check first for a fresh one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from fpdf import FPDF

from watchkeeper.audit.checks import CHECKS, all_checks
from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.audit.queries import counts_by_check, overdue
from watchkeeper.core.exports import download, latin1

CHAIN_CHECK = "trail.history_chain_broken"
#: The most findings one table lists (the pages and the API have them all).
MAX_ROWS = 500
FINDING_COLUMNS = (("Finding", 24), ("Check", 52), ("Record", 40), ("Owner", 28),
                   ("Due", 20), ("Summary", 113))  # fmt: skip


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.since, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.until, dt.time.min)) + dt.timedelta(
            days=1
        )


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=30), today)


def in_period(period: Period) -> QuerySet[Finding]:
    """Findings that existed in the period: found before its end, not closed before its start."""
    return Finding.objects.filter(first_found_at__lt=period.end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=period.start)
    )


def _title(check_key: str) -> str:
    check = CHECKS.get(check_key)
    return check.title if check is not None else check_key


def pdf_download(period: Period, generated_by: Any) -> HttpResponse:
    filename = f"process-audit-{period.since.isoformat()}-{period.until.isoformat()}.pdf"
    return download(to_pdf(period, generated_by), filename, "application/pdf")


def to_pdf(period: Period, generated_by: Any, *, compress: bool = True) -> bytes:
    """The report; ``compress=False`` leaves the text readable in the file (for tests)."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_compression(compress)
    pdf.set_creator("Watchkeeper")
    pdf.set_title("Process audit report")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(text="Process audit report", new_x="LMARGIN", new_y="NEXT")
    _line(pdf, f"Period: {period.since.isoformat()} to {period.until.isoformat()}.")
    _runs(pdf, period)
    _by_state(pdf, period)
    active = Finding.objects.filter(state__in=ACTIVE_STATES).select_related("owner")
    _findings(pdf, "Open findings", active.order_by("due_on", "pk"))
    _findings(pdf, "Overdue findings", overdue(active).order_by("due_on", "pk"))
    _chain(pdf)
    pdf.ln(3)
    pdf.set_font("helvetica", "I", 8)
    now = timezone.localtime()
    name = getattr(generated_by, "username", "") or "the system"
    pdf.cell(text=latin1(f"Generated {now:%Y-%m-%d %H:%M} ({now.tzname()}) by {name} from "
                         "Watchkeeper's records."))  # fmt: skip
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(text=latin1(text), new_x="LMARGIN", new_y="NEXT")


def _line(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", size=9)
    pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, columns: tuple[tuple[str, int], ...], rows: list[list[str]]) -> None:
    pdf.set_font("helvetica", size=7)
    with pdf.table(col_widths=tuple(w for _, w in columns), line_height=4, text_align="LEFT") as t:
        heading = t.row()
        for name, _ in columns:
            heading.cell(name)
        for values in rows:
            cells = t.row()
            for value in values:
                cells.cell(latin1(value))


def _runs(pdf: FPDF, period: Period) -> None:
    _heading(pdf, "Checks run")
    runs = AuditRun.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
    by_check: dict[str, list[AuditRun]] = {}
    for run in runs.order_by("started_at", "pk"):
        by_check.setdefault(run.check_key, []).append(run)
    if not by_check:
        _line(pdf, "No check ran in the period.")
        return
    rows = []
    for check in all_checks():
        found = by_check.get(check.key, [])
        last = found[-1] if found else None
        rows.append([
            check.title, str(len(found)),
            f"{timezone.localtime(last.started_at):%Y-%m-%d %H:%M}" if last else "not run",
            str(last.found) if last and not last.error else "",
            str(sum(run.opened for run in found)), str(sum(run.closed for run in found)),
            str(sum(1 for run in found if run.error)),
        ])  # fmt: skip
    columns = (("Check", 90), ("Runs", 15), ("Last run", 32), ("Found (last)", 25),
               ("Opened", 20), ("Resolved", 20), ("Failed runs", 25))  # fmt: skip
    _table(pdf, columns, rows)


def _by_state(pdf: FPDF, period: Period) -> None:
    _heading(pdf, "Findings of the period by check and state (state now)")
    counts = counts_by_check(in_period(period))
    if not counts:
        _line(pdf, "No findings in the period.")
        return
    states = list(FindingState)
    rows = [
        [_title(key), *(str(by_state.get(s, 0)) for s in states), str(sum(by_state.values()))]
        for key, by_state in sorted(counts.items())
    ]
    columns = (("Check", 100), *((str(s.label), 28) for s in states), ("Total", 25))
    _table(pdf, columns, rows)


def _findings(pdf: FPDF, title: str, findings: QuerySet[Finding]) -> None:
    total = findings.count()
    _heading(pdf, f"{title} ({total})")
    if not total:
        _line(pdf, "None.")
        return
    rows = [
        [f.number, _title(f.check_key), f.record_label, f.owner.username if f.owner else "none",
         f.due_on.isoformat(), f.summary]
        for f in findings[:MAX_ROWS]
    ]  # fmt: skip
    _table(pdf, FINDING_COLUMNS, rows)
    if total > MAX_ROWS:
        _line(pdf, f"... and {total - MAX_ROWS} more (see the findings page).")


def _chain(pdf: FPDF) -> None:
    _heading(pdf, "History chain verification")
    last = AuditRun.objects.filter(check_key=CHAIN_CHECK).order_by("-started_at", "-pk").first()
    if last is None:
        _line(pdf, "Not verified yet: run the check History chain broken.")
        return
    when = f"{timezone.localtime(last.started_at):%Y-%m-%d %H:%M}"
    if last.error:
        _line(pdf, f"The last verification ({when}) failed: {last.error}")
        return
    broken = Finding.objects.filter(check_key=CHAIN_CHECK, state__in=ACTIVE_STATES)
    if not last.found:
        _line(pdf, f"Verified {when}: every record's history is intact.")
    else:
        _line(pdf, f"Verified {when}: {last.found} record(s) with an altered history.")
    for finding in broken.order_by("pk")[:MAX_ROWS]:
        _line(pdf, f"{finding.number}: {finding.summary}")
