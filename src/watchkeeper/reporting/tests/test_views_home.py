"""The reporting cards on the role home pages: an agent's own figures, a manager's groups, a
service owner's services (last 30 days, from the facts)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

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
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def home(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_agent_sees_their_own_figures(
    make_user: Callable[..., User], make_dated_incident: Callable[..., Incident]
) -> None:
    # given Alex's incidents: 2 resolved this month (1 h and 3 h), 1 open, 1 resolved in
    # January; and someone else's resolved one
    alex, other = make_user("alex", Role.AGENT), make_user("bo", Role.AGENT)
    mine = place(make_dated_incident, ["2026-03-10", "2026-03-11", "2026-03-12"], assignee=alex)
    resolve(mine[0], 1)
    resolve(mine[1], 3)
    resolve(place(make_dated_incident, ["2026-01-10"], assignee=alex)[0], 10)
    resolve(place(make_dated_incident, ["2026-03-10"], assignee=other)[0], 50)
    refresh_facts(full=True)
    # when
    html = home(alex)
    # then
    assert text_of(html, "my-open") == "1"
    assert text_of(html, "my-resolved") == "2"
    assert text_of(html, "my-mttr") == "2.0 h"
    assert text_of(html, "my-sla") == "-"  # no SLA decided
    assert 'href="/reports/incidents/"' in html


def test_a_resolver_home_has_the_card_too(make_user: Callable[..., User]) -> None:
    html = home(make_user("rex", Role.RESOLVER))
    assert text_of(html, "my-open") == "0" and text_of(html, "my-mttr") == "-"


def test_a_manager_sees_each_group_they_manage_linking_to_its_dashboard(
    make_user: Callable[..., User],
    make_group: Callable[..., SupportGroup],
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given
    morgan = make_user("morgan", Role.INCIDENT_MANAGER)
    network = make_group("Network", manager=morgan)
    make_group("Desk")  # not Morgan's
    incidents = place(make_dated_incident, ["2026-03-20", "2026-03-21"], group=network)
    resolve(incidents[0], 5)
    refresh_facts(full=True)
    # when
    html = home(morgan)
    # then
    rows = html.split('data-testid="group-figure"')[1:]
    assert len(rows) == 1
    row = rows[0].split("</tr>")[0]
    assert f'href="/reports/incidents/?period=30d&amp;group={network.pk}"' in row
    assert ">Network</a>" in row and "<td>2</td>" in row and "<td>1</td>" in row
    assert "5.0 h" in row
    assert "Desk" not in html.split('data-testid="group-figures"')[1].split("</section>")[0]


def test_a_service_owner_sees_the_key_figures_of_their_services(
    make_user: Callable[..., User],
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given
    olga = make_user("olga", Role.SERVICE_OWNER)
    mail, payroll = new_service("E-mail", olga), new_service("Payroll")
    resolve(place(make_dated_incident, ["2026-03-20"], service=mail)[0], 4)
    place(make_dated_incident, ["2026-03-21", "2026-03-22"], service=mail)
    place(make_dated_incident, ["2026-03-21"], service=payroll)
    refresh_facts(full=True)
    # when
    html = home(olga)
    # then
    assert text_of(html, "services-opened") == "3"
    assert text_of(html, "services-backlog") == "2"
    assert text_of(html, "services-mttr") == "4.0 h"
    assert f'href="/reports/services/?period=30d&amp;service={mail.pk}"' in html
    assert 'href="/reports/services/"' in html
    assert "Payroll" not in html
    assert 'id="reports-heading"' in html  # the scheduled reports card stays
