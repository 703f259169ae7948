"""The incident KPI dashboard at /reports/incidents/: who sees it, the figures it shows, its
filters, its links, and a number of queries that does not grow with the incidents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.signals import request_started
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.tests.test_views_support import (  # noqa: F401 - a fixture
    frozen,
    new_service,
    place,
    resolve,
    text_of,
    tile,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
URL = "/reports/incidents/"


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    """A member of staff who reads reports (``reporting.view``)."""
    return make_user("sam", Role.AGENT)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def march(
    make_dated_incident: Callable[..., Incident],
    make_group: Callable[..., SupportGroup],
) -> dict[str, Any]:
    """Network: 3 incidents in March (2 resolved, after 2 h and 4 h); Desk: 1, open, about the
    configuration item "mail-01"."""
    network, desk = make_group("Network"), make_group("Desk")
    mail = new_service("mail-01")
    incidents = place(
        make_dated_incident, ["2026-03-10", "2026-03-11", "2026-03-12"], group=network
    )
    resolve(incidents[0], 2)
    resolve(incidents[1], 4)
    place(make_dated_incident, ["2026-03-20"], group=desk, configuration_item=mail)
    return {"network": network, "desk": desk, "mail": mail}


def test_anonymous_users_are_sent_to_log_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_requesters_get_403(make_user: Callable[..., User]) -> None:
    requester = make_user("rita", Role.REQUESTER)
    assert logged_in(requester).get(URL).status_code == 403


def test_the_dashboard_shows_figures_computed_from_the_incidents(
    staff: User, march: dict[str, Any]
) -> None:
    # when
    response = logged_in(staff).get(URL, {"start": "2026-03-01", "end": "2026-03-31"})
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert tile(html, "incidents_opened")[0] == "4"
    assert tile(html, "mttr")[0] == "3.0 h"  # (2 h + 4 h) / 2
    assert tile(html, "backlog")[0] == "2"
    assert text_of(html, "backlog-total") == "2"
    assert "2026-03-01 to 2026-03-31" in text_of(html, "dashboard-scope")


def test_a_group_filter_narrows_the_figures(staff: User, march: dict[str, Any]) -> None:
    # when
    params = {"period": "30d", "group": march["desk"].pk}
    html = logged_in(staff).get(URL, params).content.decode()
    # then only the Desk's incident counts, and the page says which group it shows
    assert tile(html, "incidents_opened")[0] == "1"
    assert tile(html, "mttr")[0] == "-"
    assert "Group: Desk" in text_of(html, "dashboard-scope")
    assert f'<option value="{march["desk"].pk}" selected>Desk</option>' in html


def test_a_bad_filter_answers_400_with_the_message_beside_the_field(staff: User) -> None:
    # when
    response = logged_in(staff).get(URL, {"start": "2026-31-03", "group": "x"})
    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "Start must be a date written YYYY-MM-DD." in html
    assert "Group must be a number (an id)." in html
    start_field = html.split('for="id_start"')[0].rsplit('<div class="field', 1)[1]
    assert "field--invalid" in start_field
    assert 'data-testid="kpis"' not in html


def test_the_opened_figure_links_to_a_drill_down_with_as_many_incidents(
    staff: User, march: dict[str, Any]
) -> None:
    # given
    client = logged_in(staff)
    html = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    value, link = tile(html, "incidents_opened")
    # when
    drill = client.get(link).content.decode()
    # then
    assert link.startswith("/reports/incidents/records/?")
    assert text_of(drill, "drill-count") == value == "4"
    assert drill.count('data-testid="drill-row"') == 4


def test_breakdown_rows_link_to_their_incidents(staff: User, march: dict[str, Any]) -> None:
    # given
    client = logged_in(staff)
    html = client.get(URL, {"period": "30d"}).content.decode()
    section = html.split('data-testid="breakdown-group"')[1].split("</section>")[0]
    # when the Network row's count is followed
    row = section.split('<th scope="row">Network</th>')[1]
    href = row.split('href="')[1].split('"')[0].replace("&amp;", "&")
    drill = client.get(href).content.decode()
    # then it lists Network's three incidents
    assert text_of(drill, "drill-count") == "3"
    title = text_of(drill, "drill-title")
    assert title.startswith("Incidents opened - Group: Network - ")


def test_group_names_are_escaped_everywhere(
    staff: User,
    make_group: Callable[..., SupportGroup],
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given a group with markup in its name
    group = make_group("<script>alert(1)</script>")
    place(make_dated_incident, ["2026-03-10"], group=group)
    # when
    html = logged_in(staff).get(URL, {"group": group.pk}).content.decode()
    # then
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_downloads_carry_the_same_filters(staff: User, march: dict[str, Any]) -> None:
    html = logged_in(staff).get(URL, {"period": "7d", "priority": "5"}).content.decode()
    pdf = html.split('data-testid="download-pdf"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert (
        pdf.replace("&amp;", "&")
        == "/reports/incidents.pdf?start=2026-03-25&end=2026-03-31&priority=5"
    )
    assert "/reports/incidents.csv?start=2026-03-25&amp;end=2026-03-31&amp;priority=5" in html


def test_period_shortcuts_keep_the_other_filters(staff: User, march: dict[str, Any]) -> None:
    html = logged_in(staff).get(URL, {"period": "90d", "group": march["desk"].pk}).content.decode()
    desk = march["desk"].pk
    assert f'href="{URL}?period=7d&amp;group={desk}"' in html
    assert f'href="{URL}?period=90d&amp;group={desk}" aria-current="true"' in html


def test_the_charts_are_on_the_page_with_their_tables(staff: User, march: dict[str, Any]) -> None:
    html = logged_in(staff).get(URL, {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert html.count('role="img"') == 7  # trend, 4 breakdowns, heat map, top CIs
    assert (
        html.count('<details class="chart-data"') == 3
    )  # trend, heat map, top CIs (breakdowns are tables)
    assert "Trend per day" in html and "Unusual volume" in html
    top_cis = html.split('data-testid="top-cis"')[1]
    assert "<title>mail-01: 1 opened</title>" in top_cis


@pytest.fixture
def whole_requests_counted() -> Iterator[None]:
    """Query counts that span a test-client request: Django clears the query log when a
    request starts, which would lose the queries counted before it."""
    request_started.disconnect(reset_queries)
    yield
    request_started.connect(reset_queries)


@pytest.mark.usefixtures("whole_requests_counted")
def test_queries_do_not_grow_with_the_incidents(
    staff: User,
    make_dated_incident: Callable[..., Incident],
    make_group: Callable[..., SupportGroup],
    django_assert_max_num_queries: Any,
) -> None:
    # given two incidents, and the number of queries the page takes for them
    group = make_group("Network")
    place(make_dated_incident, ["2026-03-10", "2026-03-11"], group=group)
    refresh_facts(full=True)
    client = logged_in(staff)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    budget = len(few)  # read now: the count is a slice of the connection's log
    assert budget > 10
    # when there are twenty times as many, in more groups and on more days
    for index in range(38):
        other = make_group(f"Team {index}") if index % 4 == 0 else group
        place(make_dated_incident, [f"2026-03-{2 + index % 28:02d}"], group=other)
    refresh_facts(full=True)
    client.get(URL)
    # then the page takes no more queries
    with django_assert_max_num_queries(budget):
        response = client.get(URL)
    assert tile(response.content.decode(), "incidents_opened")[0] == "40"


def test_the_other_processes_show_with_each_services_availability(
    staff: User, make_dated_incident: Callable[..., Incident]
) -> None:
    # given a service down for 1 % of February (28 days x 24 h): a major incident of 403.2 min
    mail = new_service("E-mail")
    [major] = place(make_dated_incident, ["2026-02-10"], service=mail, is_major=True)
    resolve(major, 403.2 / 60)
    # when the February dashboard is opened
    page = logged_in(staff).get(URL, {"start": "2026-02-01", "end": "2026-02-28"})
    # then the process figures are there, and E-mail was available 99 % of February
    body = page.content.decode()
    assert 'data-testid="processes"' in body and "Service availability" in body
    assert "Request fulfilment time" in body
    row = body.split('data-testid="availability"')[1].split("E-mail</th>")[1].split("</tr>")[0]
    assert "403 min" in row and "99.000 %" in row
