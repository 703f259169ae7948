"""``GET /api/v1/kpis/processes``: the process KPIs for staff with ``reporting.view``; bad
periods and services are 400s naming the parameter; others get 401 or 403."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import Resolver404, path, resolve
from ninja import NinjaAPI

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.core.api import api as core_api
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import create_incident
from watchkeeper.reporting.api_processes import router
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.process_kpis import KEYS

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/processes"


def _urlpatterns() -> list[Any]:
    """The router on an API like the project's (its authentication and error format), before
    the project's own URLs: for as long as ``watchkeeper.api`` does not mount it yet."""
    from watchkeeper.urls import urlpatterns as project

    mounted = NinjaAPI(auth=core_api.auth, urls_namespace="process_kpis_test")
    mounted._exception_handlers = dict(core_api._exception_handlers)
    mounted.add_router("/", router)
    return [path("api/v1/", mounted.urls), *project]


@pytest.fixture(autouse=True)
def _mounted() -> Iterator[None]:
    try:
        resolve(URL)
    except Resolver404:
        with override_settings(ROOT_URLCONF=__name__):
            yield
    else:
        yield


def __getattr__(name: str) -> Any:  # the URLconf's patterns, built when Django asks
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent(make_user: Any) -> Any:
    return make_user("alex", Role.AGENT)


@pytest.fixture
def shop() -> Any:
    return create_ci(name="Shop", ci_class=CiClass.BUSINESS_SERVICE, acting_user=None)


def test_staff_read_the_process_kpis_of_a_period(make_user: Any, agent: Any, shop: Any) -> None:
    # given a survey of a shop incident answered with a 4 on March 31st
    rita = make_user("rita")
    incident = create_incident(caller=rita, short_description="Checkout fails", service=shop,
                               acting_user=agent, channel=Channel.PHONE)  # fmt: skip
    answered = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    Survey.objects.create(incident=incident, recipient=rita, sent_at=answered,
                          answered_at=answered, score=4)  # fmt: skip
    # when an agent asks for March, the last day included
    answer = browser(agent).get(URL, {"start": "2026-03-01", "end": "2026-03-31"})
    # then every KPI is there in order, with the survey counted and the shop measured
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["start"], body["end"], body["service"]) == ("2026-03-01", "2026-03-31", None)
    assert [kpi["key"] for kpi in body["kpis"]] == list(KEYS)
    score = body["kpis"][KEYS.index("satisfaction_score")]
    assert (score["value"], score["unit"], score["denominator"]) == (4.0, "score", 1)
    assert body["kpis"][KEYS.index("approval_time")]["value"] is None
    assert body["availability"] == [
        {"service": shop.pk, "name": "Shop", "outage_minutes": 0.0, "availability": 100.0}
    ]
    # and for the shop alone, the figures no service narrows say so
    one = browser(agent).get(URL, {"start": "2026-03-01", "end": "2026-03-31", "service": shop.pk})
    flags = {kpi["key"]: kpi["all_services"] for kpi in one.json()["kpis"]}
    assert [key for key, flag in flags.items() if flag] == ["request_fulfilment_time",
                                                            "approval_time"]  # fmt: skip
    assert one.json()["kpis"][KEYS.index("satisfaction_score")]["value"] == 4.0


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"start": "2026-03-40"}, "start: Start must be a date written YYYY-MM-DD."),
        ({"start": "March"}, "start: Start must be a date written YYYY-MM-DD."),
        ({"start": "2026-03-10", "end": "2026-03-01"},
         "end: The end of the period must not be before its start."),
        ({"start": "0001-01-01"}, "start: Use a day from 1900-01-01 to 9998-12-31."),
        ({"start": "2026-01-01", "end": "9999-12-31"},
         "end: Use a day from 1900-01-01 to 9998-12-31."),
        ({"period": "2w"}, "period: Period must be one of 7d, 30d, 90d, 365d, all."),
        ({"service": "shop"}, "service: Give the id of a service (a whole number)."),
        ({"service": "99999999999999999999"},
         "service: Give the id of a service (a whole number)."),
    ],
)  # fmt: skip
def test_a_bad_period_or_service_is_a_400_naming_it(
    agent: Any, params: dict[str, str], detail: str
) -> None:
    answer = browser(agent).get(URL, params)
    assert answer.status_code == 400
    assert answer.json()["detail"] == detail


def test_a_service_must_be_an_existing_service(agent: Any, shop: Any) -> None:
    server = create_ci(name="web01", ci_class=CiClass.SERVER, acting_user=None)
    for unknown in (server.pk, shop.pk + 1000):
        answer = browser(agent).get(URL, {"service": unknown})
        assert answer.status_code == 400
        assert answer.json()["detail"] == f"service: There is no service with the id {unknown}."


def test_only_staff_with_reporting_view_read_it(make_user: Any, api_client: Any) -> None:
    # anonymous: 401; a requester: 403, with no figures; an auditor's read token: 200
    assert Client().get(URL).status_code == 401
    refused = browser(make_user("rita")).get(URL)
    assert refused.status_code == 403 and "kpis" not in refused.json()
    auditor = make_user("ada", Role.AUDITOR)
    answer = api_client(auditor, scope="read").get(URL, {"period": "7d"})
    assert answer.status_code == 200
    today = dt.date.today()
    assert (answer.json()["start"], answer.json()["end"]) == (
        (today - dt.timedelta(days=6)).isoformat(), today.isoformat(),
    )  # fmt: skip
