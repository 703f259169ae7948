"""Deciding on problem candidates (``candidates.accept`` / ``dismiss``) and the candidates API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.history import history_of
from watchkeeper.incidents.models import Incident
from watchkeeper.problems import candidates, detection
from watchkeeper.problems.choices import CandidateState
from watchkeeper.problems.models import Problem, ProblemCandidate
from watchkeeper.requests.tests.helpers import client_for, post

pytestmark = pytest.mark.django_db
API = "/api/v1/problems/candidates"


@pytest.fixture
def server(make_ci: Callable[..., ConfigurationItem]) -> ConfigurationItem:
    return make_ci("mail-01")


@pytest.fixture
def recurring(make_incident: Callable[..., Incident], server: ConfigurationItem) -> list[Incident]:
    """Four incidents on one server in the last four days."""
    incidents = []
    for days in (4, 3, 2, 1):
        incident = make_incident("Mail delivery delayed", configuration_item=server)
        at = timezone.now() - dt.timedelta(days=days)
        Incident.objects.filter(pk=incident.pk).update(created_at=at)
        incidents.append(incident)
    return incidents


@pytest.fixture
def candidate(recurring: list[Incident]) -> ProblemCandidate:
    (found,) = detection.find()
    return found


def test_accept_opens_a_problem_from_the_incidents(
    candidate: ProblemCandidate,
    recurring: list[Incident],
    server: ConfigurationItem,
    problem_manager: User,
) -> None:
    # when
    problem = candidates.accept(candidate, acting_user=problem_manager)
    # then the problem holds the incidents and the server, and the candidate points to it
    assert problem.short_description == "4 incidents on mail-01 within 7 days"
    linked = set(problem.links.values_list("incident__number", flat=True))
    assert linked == {i.number for i in recurring}
    assert list(problem.configuration_items.all()) == [server]
    candidate.refresh_from_db()
    assert (candidate.state, candidate.problem, candidate.decided_by) == (
        CandidateState.ACCEPTED,
        problem,
        problem_manager,
    )
    assert candidate.decided_at is not None
    # and the decision is in the problem's history
    actions = [entry.action for entry in history_of(problem)]
    assert actions == ["created", "candidate_accepted"]
    decision = history_of(problem).get(action="candidate_accepted")
    assert decision.actor == problem_manager
    assert decision.changes["candidate"]["new"]["id"] == candidate.pk


def test_accept_leaves_out_incidents_linked_to_a_problem_already(
    candidate: ProblemCandidate,
    recurring: list[Incident],
    problem_manager: User,
    make_problem: Callable[..., Problem],
) -> None:
    # given one of the incidents is linked to another problem
    other = make_problem("Old mail issue", incidents=[recurring[0]])
    # when
    problem = candidates.accept(candidate, acting_user=problem_manager, short_description="MTA")
    # then it is left out, and named in the description and the history
    linked = set(problem.links.values_list("incident__number", flat=True))
    assert linked == {i.number for i in recurring[1:]}
    assert problem.short_description == "MTA"
    assert f"{recurring[0].number} ({other.number})" in problem.description
    decision = history_of(problem).get(action="candidate_accepted")
    assert decision.changes["left_out"]["new"] == [recurring[0].number]


def test_accept_is_refused_when_every_incident_is_linked(
    candidate: ProblemCandidate,
    recurring: list[Incident],
    problem_manager: User,
    make_problem: Callable[..., Problem],
) -> None:
    make_problem("Mail issue", incidents=recurring)
    with pytest.raises(ValidationError, match="Every incident is linked already"):
        candidates.accept(candidate, acting_user=problem_manager)
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PROPOSED
    assert Problem.objects.count() == 1


def test_only_problem_managers_decide(candidate: ProblemCandidate, agent: User) -> None:
    with pytest.raises(PermissionDenied):
        candidates.accept(candidate, acting_user=agent)
    with pytest.raises(PermissionDenied):
        candidates.dismiss(candidate, acting_user=agent, reason="Noise")
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PROPOSED


def test_dismiss_needs_a_reason_and_keeps_it(
    candidate: ProblemCandidate, problem_manager: User
) -> None:
    with pytest.raises(ValidationError, match="Say why"):
        candidates.dismiss(candidate, acting_user=problem_manager, reason="  ")
    candidates.dismiss(candidate, acting_user=problem_manager, reason="Known maintenance")
    candidate.refresh_from_db()
    assert (candidate.state, candidate.reason, candidate.decided_by) == (
        CandidateState.DISMISSED,
        "Known maintenance",
        problem_manager,
    )


def test_a_decided_candidate_cannot_be_decided_again(
    candidate: ProblemCandidate, problem_manager: User
) -> None:
    candidates.dismiss(candidate, acting_user=problem_manager, reason="Noise")
    with pytest.raises(ValidationError, match="dismissed already"):
        candidates.accept(candidate, acting_user=problem_manager)
    assert not Problem.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def test_api_lists_candidates_by_state(
    candidate: ProblemCandidate, auditor: User, problem_manager: User
) -> None:
    # given one proposed and one dismissed candidate
    other = ProblemCandidate.objects.create(
        basis="text",
        key="x",
        title="Old",
        state=CandidateState.DISMISSED,
        reason="No",
        last_seen_at=timezone.now() - dt.timedelta(days=9),
        decided_at=timezone.now(),
    )
    # when an auditor (problems.view) lists them
    everything = client_for(auditor).get(API).json()
    proposed = client_for(auditor).get(API, {"state": "proposed"}).json()
    # then (most recently seen first)
    assert [c["id"] for c in everything["items"]] == [candidate.pk, other.pk]
    assert [c["id"] for c in proposed["items"]] == [candidate.pk]
    row = proposed["items"][0]
    assert (row["basis"], row["incident_count"], row["state"]) == (
        "configuration_item",
        4,
        "proposed",
    )
    assert row["evidence"]["count"] == 4


def test_api_shows_one_candidate_with_its_incidents(
    candidate: ProblemCandidate, recurring: list[Incident], auditor: User
) -> None:
    response = client_for(auditor).get(f"{API}/{candidate.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [i["number"] for i in body["incidents"]] == [i.number for i in recurring]
    assert body["incidents"][0]["problem"] is None
    assert client_for(auditor).get(f"{API}/999999").status_code == 404


def test_api_accept_and_dismiss(
    candidate: ProblemCandidate, problem_manager: User, recurring: list[Incident]
) -> None:
    # when the problem manager accepts
    response = post(problem_manager, f"{API}/{candidate.pk}/accept", {})
    # then the candidate names the new problem, and each incident shows it
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and body["problem"].startswith("PRB")
    assert {i["problem"] for i in body["incidents"]} == {body["problem"]}
    problem = Problem.objects.get(number=body["problem"])
    assert history_of(problem).last().channel == "api"  # type: ignore[union-attr]
    # and deciding again is a 400 naming the state
    again = post(problem_manager, f"{API}/{candidate.pk}/dismiss", {"reason": "Noise"})
    assert again.status_code == 400
    assert "accepted already" in again.json()["detail"]


def test_api_dismiss_needs_a_reason(candidate: ProblemCandidate, problem_manager: User) -> None:
    assert post(problem_manager, f"{API}/{candidate.pk}/dismiss", {}).status_code == 422
    blank = post(problem_manager, f"{API}/{candidate.pk}/dismiss", {"reason": "   "})
    assert blank.status_code == 400
    done = post(problem_manager, f"{API}/{candidate.pk}/dismiss", {"reason": "Planned work"})
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["reason"]) == ("dismissed", "Planned work")


@pytest.mark.parametrize("role_user", ["agent", "auditor", "requester"])
def test_api_decisions_need_problems_manage(
    candidate: ProblemCandidate, role_user: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(role_user)
    assert post(user, f"{API}/{candidate.pk}/accept", {}).status_code == 403
    assert post(user, f"{API}/{candidate.pk}/dismiss", {"reason": "x"}).status_code == 403
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PROPOSED


def test_api_reading_needs_problems_view(candidate: ProblemCandidate, requester: User) -> None:
    assert client_for(requester).get(API).status_code == 403
    assert client_for(requester).get(f"{API}/{candidate.pk}").status_code == 403
    assert Client().get(API).status_code == 401


def test_problem_numbers_still_resolve_beside_candidates(
    make_problem: Callable[..., Any], auditor: User
) -> None:
    problem = make_problem()
    response = client_for(auditor).get(f"/api/v1/problems/{problem.number}")
    assert response.status_code == 200
    assert response.json()["number"] == problem.number


def test_openapi_lists_the_candidate_operations_with_their_errors() -> None:
    from watchkeeper.core.api import api

    paths = api.get_openapi_schema()["paths"]
    expected = {
        ("get", "/api/v1/problems/candidates"): "list_problem_candidates",
        ("get", "/api/v1/problems/candidates/{candidate_id}"): "get_problem_candidate",
        ("post", "/api/v1/problems/candidates/{candidate_id}/accept"): "accept_problem_candidate",
        ("post", "/api/v1/problems/candidates/{candidate_id}/dismiss"): "dismiss_problem_candidate",
    }
    for (method, path), operation_id in expected.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert "403" in operation["responses"] or 403 in operation["responses"]
