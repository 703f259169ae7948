"""The problem candidates page: evidence for staff, Accept and Dismiss for problem managers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.models import Incident
from watchkeeper.problems import detection
from watchkeeper.problems.choices import CandidateState
from watchkeeper.problems.models import Problem, ProblemCandidate
from watchkeeper.requests.tests.helpers import client_for

pytestmark = pytest.mark.django_db
PAGE = "/desk/problems/candidates/"


@pytest.fixture
def candidate(
    make_incident: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> ProblemCandidate:
    server = make_ci("vpn-gw-01")
    for days in (4, 3, 2, 1):
        incident = make_incident("VPN <b>drops</b>", configuration_item=server)
        at = timezone.now() - dt.timedelta(days=days)
        Incident.objects.filter(pk=incident.pk).update(created_at=at)
    (found,) = detection.find()
    return found


def test_the_page_is_where_the_brief_says() -> None:
    assert reverse("problems:candidates") == PAGE


def test_staff_read_the_evidence_without_the_forms(
    candidate: ProblemCandidate, auditor: User
) -> None:
    # when an auditor opens the page
    response = client_for(auditor).get(PAGE)
    # then the candidate and its evidence show, and no decision form
    assert response.status_code == 200
    page = response.content.decode()
    assert "4 incidents on vpn-gw-01 within 7 days" in page
    assert 'data-testid="evidence"' in page
    numbers = candidate.incidents.values_list("number", flat=True)
    assert all(f"/desk/incidents/{number}/" in page for number in numbers)
    assert 'data-testid="accept-form"' not in page
    assert "<b>drops</b>" not in page  # the incident text is escaped, never markup


def test_problem_managers_see_the_forms(candidate: ProblemCandidate, problem_manager: User) -> None:
    page = client_for(problem_manager).get(PAGE).content.decode()
    assert 'data-testid="accept-form"' in page and 'data-testid="dismiss-form"' in page


def test_requesters_get_a_403(candidate: ProblemCandidate, requester: User) -> None:
    assert client_for(requester).get(PAGE).status_code == 403


def test_accepting_opens_the_problem_and_goes_there(
    candidate: ProblemCandidate, problem_manager: User
) -> None:
    # when
    url = reverse("problems:candidate_accept", args=[candidate.pk])
    response = client_for(problem_manager).post(url, {"short_description": "VPN gateway flaps"})
    # then
    problem = Problem.objects.get()
    assert problem.short_description == "VPN gateway flaps"
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:record", args=[problem.number])
    candidate.refresh_from_db()
    assert (candidate.state, candidate.problem) == (CandidateState.ACCEPTED, problem)
    # and the accepted tab shows it with the problem's number
    accepted = client_for(problem_manager).get(PAGE, {"show": "accepted"}).content.decode()
    assert problem.number in accepted


def test_dismissing_needs_a_reason(candidate: ProblemCandidate, problem_manager: User) -> None:
    url = reverse("problems:candidate_dismiss", args=[candidate.pk])
    browser = client_for(problem_manager)
    # without a reason: refused, with the message on the page
    refused = browser.post(url, {"reason": " "}, follow=True)
    assert "Say why this is not a problem." in refused.content.decode()
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PROPOSED
    # with one: dismissed, and listed under Dismissed with the reason
    browser.post(url, {"reason": "Gateway firmware update this week"})
    candidate.refresh_from_db()
    assert (candidate.state, candidate.reason) == (
        CandidateState.DISMISSED,
        "Gateway firmware update this week",
    )
    dismissed = browser.get(PAGE, {"show": "dismissed"}).content.decode()
    assert "Gateway firmware update this week" in dismissed


def test_agents_cannot_decide(candidate: ProblemCandidate, agent: User) -> None:
    url = reverse("problems:candidate_accept", args=[candidate.pk])
    response = client_for(agent).post(url, follow=True)
    assert "permission" in response.content.decode()
    assert not Problem.objects.exists()
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PROPOSED


def test_the_problem_list_leads_to_the_candidates_with_their_count(
    candidate: ProblemCandidate, auditor: User
) -> None:
    page = client_for(auditor).get("/desk/problems/").content.decode()
    assert f'href="{PAGE}"' in page and "Candidates (1)" in page
