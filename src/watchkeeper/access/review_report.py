"""A review campaign's report and its evidence for auditors: the summary (decisions, each
reviewer's progress, completion), one row per reviewed grant, and the same rows as CSV and PDF.

Everything is plain text read from the database (no user HTML is rendered). CSV cells that a
spreadsheet would run as a formula get a leading apostrophe. The PDF uses the PDF core fonts,
which hold Latin-1 only: other characters are simplified there (the CSV keeps them all).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import astuple, dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from fpdf import FPDF

from watchkeeper.access.choices import EntitlementState, ReviewDecision
from watchkeeper.access.models import AccessReview, ReviewItem
from watchkeeper.core.exports import download, guard, latin1

HEADERS = (
    "Campaign", "Entitlement", "System", "Role", "Holder", "Granted on", "Granted by",
    "Expires on", "Reviewer", "Decision", "Decided by", "Decided at", "Comment",
    "Entitlement state now",
)  # fmt: skip
PDF_COLUMNS = (  # (header index, width in mm) of the landscape A4 table
    (1, 22), (2, 24), (3, 26), (4, 20), (5, 17), (7, 17), (8, 20), (9, 18), (10, 20), (11, 26),
    (12, 51), (13, 16),
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    campaign: str
    entitlement: str
    system: str
    role: str
    holder: str
    granted_on: dt.date
    granted_by: str
    expires_on: dt.date | None
    reviewer: str
    decision: str
    decided_by: str
    decided_at: dt.datetime | None
    comment: str
    state_now: str


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer: str
    done: int
    total: int


@dataclass(frozen=True)
class Summary:
    total: int
    confirmed: int
    revoked: int
    not_reviewed: int
    reviewers: list[ReviewerProgress]

    @property
    def decided(self) -> int:
        return self.total - self.not_reviewed

    @property
    def completion(self) -> int:
        """Per cent of the grants decided (rounded down: 100 only when all are)."""
        return self.decided * 100 // self.total if self.total else 100


def summary(items: QuerySet[ReviewItem]) -> Summary:
    counts = dict(items.order_by().values_list("decision").annotate(n=Count("pk")))
    decided = ~Q(decision=ReviewDecision.PENDING)
    per_reviewer = (
        items.order_by("reviewer__username")
        .values_list("reviewer__username")
        .annotate(done=Count("pk", filter=decided), total=Count("pk"))
    )
    return Summary(
        total=sum(counts.values()),
        confirmed=counts.get(ReviewDecision.CONFIRMED, 0),
        revoked=counts.get(ReviewDecision.REVOKED, 0),
        not_reviewed=counts.get(ReviewDecision.PENDING, 0),
        reviewers=[ReviewerProgress(name, done, total) for name, done, total in per_reviewer],
    )


def _name(user: Any) -> str:
    return user.username if user is not None else ""


def rows(items: QuerySet[ReviewItem]) -> list[Row]:
    return [_row(item) for item in items]


def _row(item: ReviewItem) -> Row:
    grant = item.entitlement
    return Row(
        campaign=item.review.number, entitlement=grant.number, system=grant.role.system.name,
        role=grant.role.name, holder=grant.holder.username,
        granted_on=timezone.localdate(grant.created_at),
        granted_by=_name(grant.granted_by) or "system", expires_on=grant.expires_on,
        reviewer=item.reviewer.username, decision=ReviewDecision(item.decision).label,
        decided_by=_name(item.decided_by), decided_at=item.decided_at, comment=item.comment,
        state_now=EntitlementState(grant.state).label,
    )  # fmt: skip


def _text(value: Any, *, seconds: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return local.isoformat(timespec="seconds") if seconds else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_download(review: AccessReview, items: QuerySet[ReviewItem]) -> HttpResponse:
    filename = f"{review.number}-access-review.csv"
    return download(to_csv(items), filename, "text/csv; charset=utf-8")


def pdf_download(
    review: AccessReview, items: QuerySet[ReviewItem], generated_by: Any
) -> HttpResponse:
    filename = f"{review.number}-access-review.pdf"
    return download(to_pdf(review, items, generated_by), filename, "application/pdf")


def to_csv(items: QuerySet[ReviewItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows(items):
        writer.writerow([guard(_text(value)) for value in astuple(row)])
    return out.getvalue()


def to_pdf(
    review: AccessReview, items: QuerySet[ReviewItem], generated_by: Any, *, compress: bool = True
) -> bytes:
    """The evidence as a PDF: title, the campaign's facts, the summary, the table of rows, and
    when and by whom it was generated. ``compress=False`` leaves the text readable in the file."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_compression(compress)
    pdf.set_creator("Watchkeeper")
    pdf.set_title(latin1(f"Access review {review.number}"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(text=latin1(f"Access review {review.number}: {review.name}"), new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.set_font("helvetica", size=9)
    for line in _facts(review, summary(items)):
        pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, rows(items))
    pdf.ln(3)
    pdf.set_font("helvetica", "I", 8)
    now = timezone.localtime()
    generated = f"Generated {now:%Y-%m-%d %H:%M} ({now.tzname()}) by {_name(generated_by)}"
    pdf.cell(text=latin1(generated + " from Watchkeeper's records."))
    return bytes(pdf.output())


def _facts(review: AccessReview, counts: Summary) -> list[str]:
    systems = ", ".join(f"{s.number} {s.name}" for s in review.systems.order_by("name"))
    closed = (
        f"closed {_text(review.closed_at, seconds=False)} by {_name(review.closed_by)}"
        if review.closed_at else "open"
    )  # fmt: skip
    started_by = _name(review.started_by) or "the system (schedule)"
    progress = "; ".join(f"{p.reviewer} {p.done}/{p.total}" for p in counts.reviewers)
    return [
        f"Systems: {systems or 'all'}. Started {_text(review.created_at, seconds=False)} by "
        f"{started_by}; due {_text(review.due_on)}; {closed}.",
        f"{counts.total} grants: {counts.confirmed} confirmed, {counts.revoked} revoked, "
        f"{counts.not_reviewed} not reviewed ({counts.completion}% complete).",
        f"Reviewers (done/total): {progress}.",
    ]


def _table(pdf: FPDF, table_rows: list[Row]) -> None:
    pdf.set_font("helvetica", size=7)
    widths = tuple(width for _, width in PDF_COLUMNS)
    with pdf.table(col_widths=widths, line_height=4, text_align="LEFT") as table:
        heading = table.row()
        for index, _ in PDF_COLUMNS:
            heading.cell(HEADERS[index])
        for row in table_rows:
            values = astuple(row)
            cells = table.row()
            for index, _ in PDF_COLUMNS:
                cells.cell(latin1(_text(values[index], seconds=False)))
