"""The drill-down page at /reports/incidents/records/: the incidents behind a figure, as many
as it says, 50 a page, each linking to its incident."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.tests.test_views_support import (  # noqa: F401 - a fixture
    at,
    frozen,
    new_service,
    place,
    resolve,
    text_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
URL = "/reports/incidents/records/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    """A member of staff who reads reports (``reporting.view``)."""
    return make_user("sam", Role.AGENT)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_requesters_get_403_and_anonymous_users_log_in(make_user: Callable[..., User]) -> None:
    assert Client().get(URL).status_code == 302
    assert logged_in(make_user("rita", Role.REQUESTER)).get(URL).status_code == 403


def test_the_resolved_incidents_of_a_service_are_listed_with_a_title_naming_the_filters(
    staff: User,
    make_dated_incident: Callable[..., Incident],
    make_group: Callable[..., SupportGroup],
) -> None:
    # given two resolved and one open incident of E-mail, and one resolved of another service
    mail, web = new_service("E-mail"), new_service("Web")
    group = make_group("Messaging")
    done = place(make_dated_incident, ["2026-03-03", "2026-03-04"], service=mail, group=group)
    for incident in done:
        resolve(incident, 3)
    place(make_dated_incident, ["2026-03-05"], service=mail)
    resolve(place(make_dated_incident, ["2026-03-05"], service=web)[0], 1)
    # when
    query = {**MARCH, "service": mail.pk, "measure": "resolved"}
    html = logged_in(staff).get(URL, query).content.decode()
    # then
    title = text_of(html, "drill-title")
    assert title == "Resolved - Service: E-mail - 2026-03-01 to 2026-03-31"
    assert text_of(html, "drill-count") == "2"
    for incident in done:
        assert f'href="/desk/incidents/{incident.number}/"' in html
    assert html.count('data-testid="drill-row"') == 2
    assert "Messaging" in html
    back = f"/reports/incidents/?start=2026-03-01&amp;end=2026-03-31&amp;service={mail.pk}"
    assert f'href="{back}"' in html


def test_a_heat_map_cell_names_its_hour(
    staff: User, make_dated_incident: Callable[..., Incident]
) -> None:
    # given incidents on Tuesday 2026-03-03 at 09:00 (hour of week 33) and 10:00
    place(make_dated_incident, ["2026-03-03"])
    make_dated_incident(at("2026-03-03", 10))
    # when
    html = logged_in(staff).get(URL, {**MARCH, "drill_hour": 33}).content.decode()
    # then
    assert text_of(html, "drill-title").startswith("Incidents opened - Tuesday 09:00-09:59 - ")
    assert text_of(html, "drill-count") == "1"


def test_the_list_has_50_incidents_a_page(
    staff: User, make_dated_incident: Callable[..., Incident]
) -> None:
    # given 51 incidents
    place(make_dated_incident, ["2026-03-10"] * 51)
    client = logged_in(staff)
    # when
    first = client.get(URL, MARCH).content.decode()
    second = client.get(URL, {**MARCH, "page": 2}).content.decode()
    # then
    assert text_of(first, "drill-count") == "51"
    assert first.count('data-testid="drill-row"') == 50
    assert second.count('data-testid="drill-row"') == 1
    assert f'href="?{urlencode(MARCH).replace("&", "&amp;")}&amp;page=2"' in first
    oldest = Incident.objects.order_by("created_at", "pk").first()
    assert oldest is not None and oldest.number in second


def test_a_bad_parameter_answers_400_naming_it(staff: User) -> None:
    client = logged_in(staff)
    response = client.get(URL, {"measure": "everything"})
    assert response.status_code == 400
    assert "Measure must be one of opened" in response.content.decode()
    response = client.get(URL, {"drill_group": "x"})
    assert response.status_code == 400
    assert "drill_group must be a number or &#x27;none&#x27;." in response.content.decode()
    assert client.get(URL, {"end": "yesterday"}).status_code == 400
