"""The service owner's dashboard at /reports/services/: the service select holds the services
they own (all of them for administrators and auditors), the first one is shown unless chosen."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.tests.test_views_support import (  # noqa: F401 - a fixture
    frozen,
    new_service,
    place,
    text_of,
    tile,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
URL = "/reports/services/"


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("olga", Role.SERVICE_OWNER)


@pytest.fixture
def services(
    owner: User,
    make_dated_incident: Callable[..., Incident],
) -> dict[str, ConfigurationItem]:
    """Olga owns E-mail (2 incidents) and Calendar (1); Payroll (3) is somebody else's."""
    found = {
        "mail": new_service("E-mail", owner),
        "calendar": new_service("Calendar", owner),
        "payroll": new_service("Payroll"),
    }
    place(make_dated_incident, ["2026-03-10", "2026-03-11"], service=found["mail"])
    place(make_dated_incident, ["2026-03-12"], service=found["calendar"])
    place(make_dated_incident, ["2026-03-12"] * 3, service=found["payroll"])
    return found


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def options(html: str) -> list[str]:
    select = html.split('name="service"')[1].split("</select>")[0]
    return re.findall(r">([^<]+)</option>", select)


def test_an_owner_sees_their_first_service_and_only_theirs_to_choose(
    owner: User, services: dict[str, ConfigurationItem]
) -> None:
    # when
    response = logged_in(owner).get(URL)
    # then Calendar comes first by name, and Payroll is not offered
    assert response.status_code == 200
    html = response.content.decode()
    assert options(html) == ["Calendar", "E-mail"]
    assert "Service: Calendar" in text_of(html, "dashboard-scope")
    assert tile(html, "incidents_opened")[0] == "1"


def test_choosing_a_service_shows_its_figures_and_downloads(
    owner: User, services: dict[str, ConfigurationItem]
) -> None:
    mail = services["mail"].pk
    html = logged_in(owner).get(URL, {"service": mail, "period": "30d"}).content.decode()
    assert tile(html, "incidents_opened")[0] == "2"
    _, link = tile(html, "incidents_opened")
    assert f"service={mail}" in link and "measure=opened" in link
    pdf = f"/reports/incidents.pdf?start=2026-03-02&amp;end=2026-03-31&amp;service={mail}"
    assert pdf in html


def test_another_owners_service_answers_400_beside_the_select(
    owner: User, services: dict[str, ConfigurationItem]
) -> None:
    response = logged_in(owner).get(URL, {"service": services["payroll"].pk})
    assert response.status_code == 400
    assert "Choose one of the services you own." in response.content.decode()


def test_administrators_choose_among_every_service(
    admin_user: User, services: dict[str, ConfigurationItem]
) -> None:
    html = logged_in(admin_user).get(URL).content.decode()
    assert options(html) == ["All services", "Calendar", "E-mail", "Payroll"]
    assert tile(html, "incidents_opened")[0] == "6"


def test_an_owner_of_nothing_is_told_so(make_user: Callable[..., User]) -> None:
    html = logged_in(make_user("nora", Role.SERVICE_OWNER)).get(URL).content.decode()
    assert "You own no services" in html and 'data-testid="kpis"' not in html


def test_requesters_get_403(make_user: Callable[..., User]) -> None:
    assert logged_in(make_user("rita", Role.REQUESTER)).get(URL).status_code == 403
