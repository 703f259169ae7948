"""The incident report's PDF: a real PDF whose pages read the filters, the period and the figures
of the records made here, with a drawn trend and page numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pypdfium2
import pytest

from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.report_csv import incident_report
from watchkeeper.reporting.report_pdf import to_pdf
from watchkeeper.reporting.tests.test_report_csv import (
    WEEK,
    Week,
    at,
    make_week,
    service,
)

pytestmark = pytest.mark.django_db
GENERATED = dt.datetime(2026, 3, 9, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def service_week(make_dated_incident: Callable[..., Incident]) -> Week:
    return make_week(make_dated_incident)


def pages_text(content: bytes) -> list[str]:
    pdf = pypdfium2.PdfDocument(content)
    return [pdf[index].get_textpage().get_text_bounded() for index in range(len(pdf))]


def dark_pixels(content: bytes, page: int = 0) -> int:
    image = pypdfium2.PdfDocument(content)[page].render(scale=1).to_pil().convert("L")
    return sum(image.histogram()[:128])


def test_the_pdf_reads_the_filters_period_and_figures(service_week: Week) -> None:
    # given the E-mail service's week
    report = incident_report(service_week.filters, now=GENERATED)
    # when it is drawn as a PDF
    content = to_pdf(report)
    # then it is a PDF whose first page names the report, filters, period and generation time
    assert content.startswith(b"%PDF-")
    pages = pages_text(content)
    first = " ".join(pages[0].split())
    assert "Incident report" in first
    assert "Period: 2026-03-02 to 2026-03-08 (7 days)" in first
    assert "Service: E-mail" in first and "Group: All groups" in first
    assert "Generated 2026-03-09 06:00 (UTC)" in first
    # and the KPI table holds the E-mail figures: 3 opened, MTTR 4.0 h, SLA 50 % (1 of 2)
    assert "Incidents opened 3" in first
    assert "Mean time to resolve 4.0 h" in first
    assert "Resolution SLA met 50.0 % 1 of 2" in first
    # and every page is numbered
    for number, text in enumerate(pages, start=1):
        assert f"Incident report - page {number} of {len(pages)}" in text
    whole = " ".join(" ".join(pages).split())
    for heading in ("Trend (per day)", "Week over week and month over month", "By service",
                    "Top configuration items", "Backlog (open now", "Other processes",
                    "Satisfaction surveys"):  # fmt: skip
        assert heading in whole
    assert "E-mail 3 2 4.0 h 50.0 %" in whole  # the service breakdown row
    # and the first page is drawn (text and the trend's bars)
    assert dark_pixels(content) > 500


def test_the_same_report_gives_the_same_text(service_week: Week) -> None:
    first = pages_text(to_pdf(incident_report(service_week.filters, now=GENERATED)))
    again = pages_text(to_pdf(incident_report(service_week.filters, now=GENERATED)))
    assert first == again


def test_names_outside_latin_1_are_simplified(make_dated_incident: Callable[..., Incident]) -> None:
    # given a service with a name the PDF core fonts cannot write
    named = service("Zürich — Ōsaka mail")
    make_dated_incident(at("2026-03-03"), service=named)
    # when its report is drawn
    pages = pages_text(to_pdf(incident_report(Filters(WEEK.start, WEEK.end, service=named.pk))))
    # then the name is readable, simplified to Latin-1
    assert "Service: Zürich - Osaka mail" in " ".join(pages[0].split())


def test_an_empty_period_still_makes_a_report(db: None) -> None:
    content = to_pdf(incident_report(Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 2))))
    text = " ".join(" ".join(pages_text(content)).split())
    assert "Period: 2026-01-01 (1 day)" in text and "Incidents opened 0" in text
    assert "Mean time to resolve -" in text
