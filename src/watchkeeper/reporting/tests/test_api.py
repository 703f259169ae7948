"""``GET /api/v1/kpis/incidents``: the dashboard's figures as JSON, for ``reporting.view``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.tests.test_views_support import (  # noqa: F401 - a fixture
    at,
    frozen,
    place,
    resolve,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
URL = "/api/v1/kpis/incidents"


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    """A member of staff who reads reports (``reporting.view``)."""
    return make_user("sam", Role.AGENT)


@pytest.fixture
def network(
    make_group: Callable[..., SupportGroup], make_dated_incident: Callable[..., Incident]
) -> SupportGroup:
    """Network: 3 incidents opened in March (Tuesdays 09:00), 1 resolved after 6 h; 1 opened
    in another group."""
    group = make_group("Network")
    incidents = place(make_dated_incident, ["2026-03-03", "2026-03-10", "2026-03-17"], group=group)
    resolve(incidents[0], 6)
    place(make_dated_incident, ["2026-03-18"], group=make_group("Desk"))
    return group


def test_the_figures_of_a_group_and_period(
    staff: User, network: SupportGroup, api_client: Callable[..., Client]
) -> None:
    # when
    params = {"start": "2026-03-01", "end": "2026-03-31", "group": str(network.pk)}
    response = api_client(staff, "read").get(URL, params)
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filters"] == {
        "start": "2026-03-01", "end": "2026-03-31", "service": None, "group": network.pk,
        "priority": None, "category": None, "labels": {"group": "Network"},
    }  # fmt: skip
    kpis = {kpi["key"]: kpi for kpi in body["kpis"]}
    assert kpis["incidents_opened"]["value"] == 3 and kpis["incidents_opened"]["unit"] == "count"
    assert kpis["mttr"]["value"] == 6.0 and kpis["mttr"]["display"] == "6.0 h"
    assert kpis["reopen_rate"] | {"drill_url": ""} == {
        "key": "reopen_rate", "label": "Reopen rate", "value": 0.0, "unit": "%",
        "display": "0.0 %", "numerator": 0, "denominator": 3, "drill_url": "",
    }  # fmt: skip
    assert kpis["incidents_opened"]["drill_url"].startswith("/reports/incidents/records/?")
    # the trend starts at the first incident's day (the 3rd) and has every day to the 31st
    assert body["granularity"] == "day" and len(body["trend"]) == 29
    assert sum(bucket["opened"] for bucket in body["trend"]) == 3
    assert body["trend"][0] | {"label": ""} == {
        "label": "", "start": "2026-03-03", "end": "2026-03-03", "unusual": False, "opened": 1,
        "resolved": 1, "open_now": 0, "mttr_hours": 6.0, "sla_resolution_pct": None,
        "reopen_pct": 0.0,
    }  # fmt: skip
    assert [(row["label"], row["opened"]) for row in body["breakdowns"]["group"]] == [
        ("Network", 3)
    ]
    assert body["heat_map"][1][9] == 3 and sum(map(sum, body["heat_map"])) == 3
    assert body["backlog_total"] == 2 and len(body["backlog"]) == 5
    assert [change["label"] for change in body["changes"]] == [
        "Week over week",
        "Month over month",
    ]


def test_a_bad_filter_answers_400_naming_it(staff: User, api_client: Callable[..., Client]) -> None:
    client = api_client(staff, "read")
    response = client.get(URL, {"priority": "9"})
    assert response.status_code == 400
    assert response.json()["detail"] == "priority: Priority must be 1 to 5."
    response = client.get(URL, {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("end: ")
    assert client.get(URL, {"period": "week"}).status_code == 400


def test_requesters_get_403_and_anonymous_callers_401(
    make_user: Callable[..., User], api_client: Callable[..., Client]
) -> None:
    requester = make_user("rita", Role.REQUESTER)
    assert api_client(requester, "read").get(URL).status_code == 403
    assert Client().get(URL).status_code == 401


def test_the_operation_is_documented(staff: User, api_client: Callable[..., Any]) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/kpis/incidents"]["get"]
    assert operation["operationId"] == "incident_kpis"
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"period", "start", "end", "service", "group", "priority", "category"}
    assert set(operation["responses"]) >= {"200", "400", "403"}
    assert at("2026-03-03").weekday() == 1  # the fixture's incidents are on Tuesdays
