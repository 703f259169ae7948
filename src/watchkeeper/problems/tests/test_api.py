"""The problems API: open from incidents, read, edit the analysis, lifecycle, links, tasks and
known errors, with its errors (400 naming the field, 409 for a stale version)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.problems import actions
from watchkeeper.problems.models import Problem

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def call(client: Client, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(f"{BASE}{path}", data=data, content_type="application/json")


@pytest.fixture
def api(api_client: Callable[..., Client], agent: User) -> Client:
    return api_client(agent)


def test_opening_a_problem_from_incidents(
    api: Client, make_incident: Callable[..., Any], make_ci: Callable[..., Any]
) -> None:
    # given two incidents on a server
    server = make_ci("app-07")
    first, second = make_incident(configuration_item=server), make_incident()

    # when a problem is opened with them
    answer = call(
        api,
        "post",
        "/problems",
        {
            "short_description": "App server leaks memory",
            "incidents": [first.number, second.number],
            "impact": 2,
            "urgency": 1,
        },
    )

    # then it answers the problem with its incidents, items and priority
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"].startswith("PRB") and body["priority"] == 2
    assert [i["number"] for i in body["incidents"]] == sorted([first.number, second.number])
    assert body["configuration_items"] == [{"number": server.number, "name": "app-07"}]
    assert call(api, "get", f"/problems/{body['number']}").json()["version"] == 1


def test_an_unknown_or_taken_incident_is_a_400_naming_it(
    api: Client, make_incident: Callable[..., Any], make_problem: Callable[..., Problem]
) -> None:
    incident = make_incident()
    taken = make_problem(incidents=[incident])
    unknown = call(api, "post", "/problems", {"short_description": "x", "incidents": ["INC9"]})
    assert unknown.status_code == 400 and "INC9" in unknown.json()["detail"]
    again = call(
        api, "post", "/problems", {"short_description": "x", "incidents": [incident.number]}
    )
    assert again.status_code == 400
    assert f"{incident.number} is linked to {taken.number}" in again.json()["detail"]


def test_the_analysis_is_patched_with_the_version(
    api: Client, make_problem: Callable[..., Problem]
) -> None:
    # given a problem
    problem = make_problem()
    path = f"/problems/{problem.number}"

    # when its analysis is patched
    answer = call(
        api,
        "patch",
        path,
        {
            "version": 1,
            "root_cause": "Leaking cache",
            "workaround": "Restart nightly",
            "five_whys": [{"why": "Why slow?", "because": "Swapping"}],
            "timeline": [{"at": "2025-04-01T08:00:00Z", "text": "First alert"}],
        },
    )

    # then it is saved, and a patch with the old version is a 409
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["five_whys"] == [{"why": "Why slow?", "because": "Swapping"}]
    assert body["timeline"][0]["text"] == "First alert" and body["version"] == 2
    stale = call(api, "patch", path, {"version": 1, "fix": "Upgrade"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    bad = call(api, "patch", path, {"version": 2, "five_whys": [{"because": "no why"}]})
    assert bad.status_code == 422
    unknown = call(api, "patch", path, {"version": 2, "state": "closed"})
    assert unknown.status_code == 422


def test_the_lifecycle_through_the_api(
    api: Client,
    api_client: Callable[..., Client],
    problem_manager: User,
    make_problem: Callable[..., Problem],
    make_incident: Callable[..., Any],
) -> None:
    # given a problem with an open incident
    incident = make_incident()
    problem = make_problem(incidents=[incident])
    path = f"/problems/{problem.number}"

    # when it moves to analysis, then is resolved with its incidents
    moved = call(api, "post", f"{path}/state", {"state": "root_cause_analysis", "version": 1})
    assert moved.status_code == 200 and moved.json()["state"] == "root_cause_analysis"
    wrong = call(api, "post", f"{path}/state", {"state": "assess"})
    assert wrong.status_code == 400 and "cannot move to Assess" in wrong.json()["detail"]
    resolved = call(
        api,
        "post",
        f"{path}/resolve",
        {
            "code": "risk_accepted",
            "notes": "Restart nightly",
            "resolve_incidents": True,
        },
    )

    # then the incident is resolved by the workaround and the answer says so
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["incidents_resolved"] == [incident.number]
    assert resolved.json()["incidents_not_resolved"] == []
    incident.refresh_from_db()
    assert (incident.state, incident.resolution_code) == (
        IncidentState.RESOLVED,
        "solved_workaround",
    )

    # and only a problem manager closes it
    assert call(api, "post", f"{path}/close", {}).status_code == 403
    closed = call(api_client(problem_manager), "post", f"{path}/close", {})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert call(api, "post", f"{path}/reopen", {"reason": "x"}).status_code == 400


def test_links_and_tasks_through_the_api(
    api: Client,
    make_problem: Callable[..., Problem],
    make_incident: Callable[..., Any],
    team: SupportGroup,
    agent: User,
) -> None:
    # given a problem and an incident
    problem = make_problem(assignment_group=team)
    incident = make_incident()
    path = f"/problems/{problem.number}"

    # when the incident is linked and unlinked
    linked = call(api, "post", f"{path}/incidents", {"incident": incident.number})
    assert linked.status_code == 201 and len(linked.json()["incidents"]) == 1
    unlinked = call(api, "delete", f"{path}/incidents/{incident.number}")
    assert unlinked.status_code == 200 and unlinked.json()["incidents"] == []

    # and a task is added and worked
    created = call(api, "post", f"{path}/tasks", {"title": "Heap dump", "kind": "analysis"})
    assert created.status_code == 201, created.content
    task = created.json()["number"]
    assert created.json()["assignment_group"]["id"] == team.pk
    assigned = call(
        api,
        "post",
        f"/problem-tasks/{task}/assign",
        {"group": team.pk, "assignee": agent.username, "version": 1},
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"] == agent.username
    assert call(api, "post", f"/problem-tasks/{task}/start", {}).json()["state"] == "in_progress"
    done = call(api, "post", f"/problem-tasks/{task}/complete", {"notes": "Cache never evicts"})
    assert done.json()["state"] == "complete"
    listed = call(api, "get", f"{path}/tasks").json()
    assert [(t["number"], t["notes"]) for t in listed] == [(task, "Cache never evicts")]


def test_a_known_error_through_the_api(
    api: Client, make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    path = f"/problems/{problem.number}"
    missing = call(api, "post", f"{path}/known-error", {})
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"root_cause", "workaround"}
    actions.update_problem(problem, acting_user=agent, root_cause="Cache", workaround="Restart")
    marked = call(api, "post", f"{path}/known-error", {"version": 2})
    assert marked.status_code == 200, marked.content
    assert marked.json()["known_error"] is True and marked.json()["article"].startswith("KB")


def test_the_list_filters(
    api: Client, make_problem: Callable[..., Problem], agent: User, team: SupportGroup
) -> None:
    # given three problems: one known error, one of the team, one resolved
    known = make_problem("Printer driver crash")
    actions.update_problem(known, acting_user=agent, root_cause="Driver", workaround="Reboot")
    actions.mark_known_error(known, agent)
    teams = make_problem("Disk latency", assignment_group=team)
    done = make_problem("Old VPN issue")
    actions.resolve_problem(done, code="canceled", notes="Gone", acting_user=agent)

    def numbers(query: str) -> list[str]:
        answer = call(api, "get", f"/problems?{query}")
        assert answer.status_code == 200, answer.content
        return [item["number"] for item in answer.json()["items"]]

    # then each filter keeps its own
    assert numbers("known_error=true") == [known.number]
    assert numbers(f"assignment_group={team.pk}") == [teams.number]
    assert numbers("state=resolved") == [done.number]
    assert numbers("q=latency") == [teams.number]
    assert set(numbers("state=new&state=resolved")) == {known.number, teams.number, done.number}
    assert call(api, "get", "/problems?state=bogus").status_code == 422
