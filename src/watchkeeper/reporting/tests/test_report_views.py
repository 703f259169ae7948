"""The report pages: ``/reports/`` and the CSV and PDF downloads, who may open them, and bad
filters answered 400 with the message."""

from __future__ import annotations

from collections.abc import Callable

import pypdfium2
import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.tests.test_report_csv import (
    Week,
    by_first,
    make_week,
    sections,
)

pytestmark = pytest.mark.django_db
WEEK_QUERY = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def service_week(make_dated_incident: Callable[..., Incident]) -> Week:
    return make_week(make_dated_incident)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("sofia", Role.SERVICE_OWNER)


def test_the_csv_download_has_the_filtered_figures(owner: User, service_week: Week) -> None:
    # when the service owner downloads the E-mail service's week as CSV
    query = {**WEEK_QUERY, "service": service_week.email.pk}
    response = logged_in(owner).get(reverse("reporting_reports:incidents_csv"), query)
    # then it is a CSV download of that service's figures
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="incident-report-2026-03-02-2026-03-08.csv"'
    )
    parts = sections(response.content)
    assert by_first(parts["Incident report"])["Service"] == ["E-mail"]
    assert by_first(parts["KPIs"])["incidents_opened"][1] == "3"


def test_the_pdf_download_reads_the_filtered_figures(owner: User, service_week: Week) -> None:
    query = {**WEEK_QUERY, "service": service_week.email.pk}
    response = logged_in(owner).get(reverse("reporting_reports:incidents_pdf"), query)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pypdfium2.PdfDocument(response.content)[0].get_textpage().get_text_bounded()
    assert "Service: E-mail" in text and "Incidents opened 3" in " ".join(text.split())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"priority": "9"}, "Priority must be 1 to 5."),
        ({"start": "03/02/2026"}, "Start must be a date written YYYY-MM-DD."),
        ({"start": "2026-03-08", "end": "2026-03-01"}, "must not be before its start"),
        ({"service": "e-mail"}, "Service must be a number (an id)."),
    ],
)
@pytest.mark.parametrize("name", ["incidents_csv", "incidents_pdf"])
def test_bad_filters_answer_400_with_the_message(
    owner: User, name: str, query: dict[str, str], message: str
) -> None:
    response = logged_in(owner).get(reverse(f"reporting_reports:{name}"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("name", ["index", "incidents_csv", "incidents_pdf", "schedules"])
def test_a_requester_gets_403_and_an_anonymous_visitor_the_login_page(
    make_user: Callable[..., User], name: str
) -> None:
    url = reverse(f"reporting_reports:{name}")
    assert logged_in(make_user("rita", Role.REQUESTER)).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_reports_page_offers_the_report_with_its_filters(
    owner: User, service_week: Week
) -> None:
    # when the service owner opens the reports page for the E-mail service's week
    query = {**WEEK_QUERY, "service": service_week.email.pk}
    response = logged_in(owner).get(reverse("reporting_reports:index"), query)
    # then the form holds the filters, with buttons for the dashboard, the PDF and the CSV
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2026-03-02"' in page and 'value="2026-03-08"' in page
    assert f'<option value="{service_week.email.pk}" selected>E-mail</option>' in page
    assert f'formaction="{reverse("reporting_reports:incidents_pdf")}"' in page
    assert f'formaction="{reverse("reporting_reports:incidents_csv")}"' in page
    assert f'formaction="{reverse("reporting:incidents")}"' in page
    assert "Manage scheduled reports" in page


def test_the_reports_page_shows_a_bad_filter_beside_its_field(owner: User) -> None:
    response = logged_in(owner).get(reverse("reporting_reports:index"), {"priority": "7"})
    assert response.status_code == 400
    assert "Priority must be 1 to 5." in response.content.decode()
