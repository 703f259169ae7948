"""Acceptance: a service owner with two services opens the service KPI dashboard, chooses one
service, follows the "Incidents opened" figure to exactly that service's incidents, comes back
and downloads the PDF report, whose pages are drawn (not blank) and read the service's figures.
The PDF's pages are rendered to PNG under the test's tmp_path; screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from browser_steps import log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.tests.test_report_csv import resolve, service

pytestmark = pytest.mark.browser


def incident(caller: User, text: str, days_ago: int, **fields: Any) -> Incident:
    """An incident reported through the portal, then dated ``days_ago`` days back at 09:00."""
    made = create_incident(
        caller=caller, short_description=text, acting_user=caller, channel=Channel.PORTAL
    )
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    opened = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    Incident.objects.filter(pk=made.pk).update(created_at=opened, **fields)
    made.refresh_from_db()
    return made


def dark_share(png: Path) -> float:
    """The share of a page's pixels that are dark (text, table lines, chart bars)."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
        return sum(histogram[:160]) / (grey.width * grey.height)


def test_a_service_owner_drills_into_a_service_and_downloads_its_pdf(
    page: Page,
    make_user: Callable[..., User],
    console_errors: list[str],
    shots: Path,
    tmp_path: Path,
) -> None:
    # given Sofia, who owns E-mail and Payroll: E-mail had three incidents in the last 30 days
    # (resolved in 2 h within the SLA, resolved in 6 h after it breached, still open) and
    # Payroll two (resolved in 1 h and 3 h)
    sofia = make_user("sofia", Role.SERVICE_OWNER, first_name="Sofia")
    rita = make_user("rita", Role.REQUESTER)
    email, payroll = service("E-mail", owner=sofia), service("Payroll", owner=sofia)
    mail_stuck = incident(rita, "Mail stuck in outbox", 10, service=email)
    bounces = incident(rita, "Mail bounces", 8, service=email)
    no_mail = incident(rita, "No new mail", 3, service=email)
    resolve(mail_stuck, 2, sla_met=True)
    resolve(bounces, 6, sla_met=False)
    for days_ago, hours in ((9, 1), (4, 3)):
        resolve(incident(rita, "Payslip missing", days_ago, service=payroll), hours)
    email_numbers = sorted(i.number for i in (mail_stuck, bounces, no_mail))

    # when she opens the service dashboard and chooses E-mail
    log_in(page, "sofia")
    page.goto("/reports/services/")
    filters = page.get_by_test_id("dashboard-filters")
    filters.get_by_label("Service").select_option(label="E-mail")
    filters.get_by_role("button", name="Apply").click()

    # then the headline figures are E-mail's
    opened = page.get_by_test_id("kpi-incidents_opened")
    expect(opened.get_by_test_id("kpi-value")).to_have_text(re.compile(r"^3\b"))
    expect(page.get_by_test_id("kpi-mttr").get_by_test_id("kpi-value")).to_contain_text("4.0 h")
    expect(page.get_by_test_id("kpi-sla_resolution").get_by_test_id("kpi-value")).to_contain_text(
        "50.0 %"
    )
    page.screenshot(path=str(shots / "service-owner-dashboard.png"), full_page=True)
    dashboard_url = page.url

    # when she clicks the "Incidents opened" figure
    opened.get_by_test_id("kpi-value").click()

    # then the drill-down lists exactly E-mail's three incidents
    expect(page.get_by_test_id("drill-count")).to_have_text("3")
    rows = page.get_by_test_id("drill-row")
    expect(rows).to_have_count(3)
    listed = sorted(rows.locator("td[data-label='Number']").all_inner_texts())
    assert listed == email_numbers
    expect(page.get_by_test_id("drill-list")).not_to_contain_text("Payslip missing")
    page.screenshot(path=str(shots / "service-owner-drill.png"), full_page=True)

    # when she goes back and downloads the PDF
    page.go_back()
    page.wait_for_url(dashboard_url)
    expect(page.get_by_test_id("dashboard-filters").get_by_label("Service")).to_have_value(
        str(email.pk)
    )
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = tmp_path / "report.pdf"
    downloading.value.save_as(pdf_path)
    assert downloading.value.suggested_filename.startswith("incident-report-")

    # then every page of the PDF is drawn and the report reads E-mail's figures
    content = pdf_path.read_bytes()
    assert content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(content)
    texts = []
    for index in range(len(document)):
        png = tmp_path / f"report-page-{index + 1}.png"
        document[index].render(scale=1).to_pil().save(png)
        assert dark_share(png) > 0.005, f"page {index + 1} looks blank"
        texts.append(" ".join(document[index].get_textpage().get_text_bounded().split()))
    first = texts[0]
    assert "Incident report" in first and "Service: E-mail" in first
    assert "Incidents opened 3" in first
    assert "Mean time to resolve 4.0 h" in first
    assert "Resolution SLA met 50.0 % 1 of 2" in first
    assert "E-mail 3 2 4.0 h 50.0 %" in " ".join(texts)  # the service breakdown
    assert "Payroll" not in " ".join(texts)
    assert console_errors == []
