"""``/api/v1/report-schedules``: create, read, change, delete and send; 400 naming the field for
a bad value, 403 for a role that does not schedule, 404 for another owner's schedule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.reporting.models import ReportSchedule

pytestmark = pytest.mark.django_db
URL = "/api/v1/report-schedules"
BODY = {"name": "Weekly figures", "frequency": "weekly", "formats": ["pdf", "csv"],
        "recipients": ["sofia"]}  # fmt: skip


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("sofia", Role.SERVICE_OWNER)


@pytest.fixture
def client(api_client: Callable[..., Client], owner: User) -> Client:
    return api_client(owner)


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_a_service_owner_manages_a_schedule_over_the_api(client: Client, owner: User) -> None:
    # when they create one
    created = send(client, "post", URL, {**BODY, "filters": {"priority": 1}})
    # then it is theirs, with its first run on Monday at 06:00
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == "sofia" and body["recipients"] == ["sofia"]
    assert body["filters"] == {"service": None, "group": None, "priority": 1, "category": None}
    assert body["next_run_at"].endswith("T06:00:00Z")
    url = f"{URL}/{body['id']}"
    assert client.get(URL).json()["items"][0]["name"] == "Weekly figures"
    # when they change its frequency and pause it
    changed = send(client, "patch", url, {"frequency": "daily", "is_active": False})
    assert changed.status_code == 200
    assert (changed.json()["frequency"], changed.json()["is_active"]) == ("daily", False)
    # and send it now
    sent = send(client, "post", f"{url}/send")
    assert sent.status_code == 200 and sent.json()["addresses"] == ["sofia@example.org"]
    assert len(mail.outbox) == 1
    # and delete it
    schedule = ReportSchedule.objects.get()
    assert client.delete(url).status_code == 204
    assert not ReportSchedule.objects.exists()
    assert [e.channel for e in history_of(schedule)] == ["api"] * 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["nobody"]}, "recipients"),
        ({"formats": []}, "formats"),
        ({"formats": ["xls"]}, "formats"),
        ({"filters": {"service": 424242}}, "filters"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_value_answers_400_naming_the_field(
    client: Client, change: dict[str, Any], field: str
) -> None:
    response = send(client, "post", URL, {**BODY, **change})
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}:")
    assert not ReportSchedule.objects.exists()


def test_a_patch_cannot_empty_a_field(client: Client) -> None:
    created = send(client, "post", URL, BODY).json()
    response = send(client, "patch", f"{URL}/{created['id']}", {"recipients": None})
    assert response.status_code == 400 and response.json()["detail"].startswith("recipients:")


def test_who_may_do_what(
    client: Client, api_client: Callable[..., Client], make_user: Callable[..., User]
) -> None:
    created = send(client, "post", URL, BODY).json()
    url = f"{URL}/{created['id']}"
    # an agent reads (no schedules of their own) but does not create
    agent = api_client(make_user("alex", Role.AGENT))
    assert agent.get(URL).json()["count"] == 0
    assert send(agent, "post", URL, {**BODY, "recipients": ["alex"]}).status_code == 403
    # another service owner does not see the schedule
    other = api_client(make_user("otto", Role.SERVICE_OWNER))
    assert other.get(url).status_code == 404
    assert send(other, "patch", url, {"name": "Mine"}).status_code == 404
    assert other.delete(url).status_code == 404
    # an auditor reads it and changes nothing
    auditor = api_client(make_user("audrey", Role.AUDITOR))
    assert auditor.get(url).json()["name"] == "Weekly figures"
    assert send(auditor, "patch", url, {"name": "Audited"}).status_code == 403
    # a requester reads nothing
    assert api_client(make_user("rita", Role.REQUESTER)).get(URL).status_code == 403
    # an administrator changes it
    admin = api_client(make_user("root", Role.ADMINISTRATOR))
    assert send(admin, "patch", url, {"name": "Renamed"}).json()["name"] == "Renamed"


def test_the_openapi_document_describes_the_schedules(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    assert set(document["paths"][URL]) == {"get", "post"}
    assert set(document["paths"][f"{URL}/{{schedule_id}}"]) == {"get", "patch", "delete"}
    body = document["components"]["schemas"]["ScheduleIn"]["properties"]
    assert body["frequency"]["enum"] == ["daily", "weekly", "monthly"]
    assert body["formats"]["items"]["enum"] == ["pdf", "csv"]
