"""Who may do what with problems: requesters nothing (403 everywhere, API and pages), readers
(auditors) only read, the service desk works them, problem managers also close."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import User
from watchkeeper.core.api import api
from watchkeeper.problems import actions
from watchkeeper.problems.api import router
from watchkeeper.problems.models import Problem
from watchkeeper.requests.tests.helpers import client_for

pytestmark = pytest.mark.django_db
WRITES = {"post", "patch", "delete", "put"}


#: A valid body of each write, so the refusal is the permission's, not the schema's.
BODIES: dict[str, dict[str, Any]] = {
    "create_problem": {"short_description": "x"},
    "update_problem": {"version": 1, "fix": "x"},
    "move_problem": {"state": "assess"},
    "resolve_problem": {"code": "fix_applied", "notes": "x"},
    "reopen_problem": {"reason": "x"},
    "link_problem_incident": {"incident": "INC0000001"},
    "create_problem_task": {"title": "x"},
    "assign_problem_task": {"group": 1},
    "complete_problem_task": {"notes": "x"},
    "cancel_problem_task": {"reason": "x"},
}


def problem_operations() -> list[tuple[str, str, str]]:
    """Every (method, path, operation id) of this router (the candidates have their own)."""
    return [
        (method.lower(), f"/api/v1{path}", str(operation.operation_id))
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    ]


@pytest.fixture
def records(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any], agent: User
) -> dict[str, str]:
    incident = make_incident()
    problem = make_problem(incidents=[incident])
    task = actions.create_task(problem, title="Look", acting_user=agent)
    return {"number": problem.number, "incident": incident.number, "task": task.number}


def send(client: Client, method: str, path: str, operation_id: str) -> Any:
    if method == "get":
        return client.get(path)
    body = json.dumps(BODIES.get(operation_id, {}))
    return getattr(client, method)(path, data=body, content_type="application/json")


def _fill(path: str, records: dict[str, str]) -> str:
    if path.startswith("/api/v1/problem-tasks"):
        path = path.replace("{number}", records["task"])
    return path.replace("{number}", records["number"]).replace("{incident}", records["incident"])


def test_the_api_has_operations_and_each_declares_a_permission() -> None:
    operations = problem_operations()
    assert len(operations) >= 18
    paths = api.get_openapi_schema()["paths"]
    for method, path, _ in operations:
        assert paths[path][method]["operationId"]
        assert 403 in paths[path][method]["responses"]


def test_requesters_get_403_from_every_problem_operation(
    api_client: Callable[..., Client], requester: User, records: dict[str, str]
) -> None:
    client = api_client(requester)
    for method, path, operation_id in problem_operations():
        answer = send(client, method, _fill(path, records), operation_id)
        assert answer.status_code == 403, (method, path, answer.content)


def test_readers_get_403_from_every_write(
    api_client: Callable[..., Client], auditor: User, records: dict[str, str]
) -> None:
    client = api_client(auditor)
    for method, path, operation_id in problem_operations():
        answer = send(client, method, _fill(path, records), operation_id)
        if method in WRITES:
            assert answer.status_code == 403, (method, path, answer.content)
        else:
            assert answer.status_code == 200, (method, path, answer.content)


def test_requesters_get_403_from_every_problem_page(
    requester: User, records: dict[str, str]
) -> None:
    number, task = records["number"], records["task"]
    browser = client_for(requester)
    gets = [
        reverse("problems:list"),
        reverse("problems:new"),
        reverse("problems:record", args=[number]),
    ]
    posts = [
        reverse("problems:new"),
        reverse("problems:from_incidents"),
        reverse("problems:link_from_incident", args=[records["incident"]]),
        reverse("problems:action", args=[number, "analysis"]),
        reverse("problems:task_action", args=[number, task, "start"]),
    ]
    for url in gets:
        assert browser.get(url).status_code == 403, url
    for url in posts:
        assert browser.post(url, {"version": 1}).status_code == 403, url
    Problem.objects.get(number=number).refresh_from_db()
    assert Problem.objects.get(number=number).version == 1


def test_agents_cannot_close_but_problem_managers_can(
    make_problem: Callable[..., Problem], agent: User, problem_manager: User
) -> None:
    problem = make_problem()
    actions.resolve_problem(problem, code="fix_applied", notes="Patched", acting_user=agent)
    url = reverse("problems:action", args=[problem.number, "close"])
    assert client_for(agent).post(url, {"version": problem.version}).status_code == 403
    answer = client_for(problem_manager).post(url, {"version": problem.version})
    assert answer.status_code == 302
    problem.refresh_from_db()
    assert problem.state == "closed"
