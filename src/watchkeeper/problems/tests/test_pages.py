"""The problem pages: the list with its filters, new problems from the queue, the problem page
and its forms, and the problem shown on the incident page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.history import history_of
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.problems import actions
from watchkeeper.problems.choices import ProblemState, ProblemTaskState
from watchkeeper.problems.models import Problem
from watchkeeper.requests.tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_the_list_marks_known_errors_and_filters_them(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    # given a known error and another problem
    known = make_problem("Printer driver crashes")
    actions.update_problem(known, acting_user=agent, root_cause="Bad driver", workaround="Reboot")
    actions.mark_known_error(known, agent)
    other = make_problem("VPN drops")

    # when the list is opened, and filtered to known errors
    browser = client_for(agent)
    everything = browser.get(reverse("problems:list")).content.decode()
    known_only = browser.get(reverse("problems:list"), {"known_error": "yes"}).content.decode()

    # then both are listed with the known error marked, and the filter keeps only it
    assert known.number in everything and other.number in everything
    assert everything.count('data-testid="known-error"') == 1
    assert known.number in known_only and other.number not in known_only
    searched = browser.get(reverse("problems:list"), {"q": "VPN"}).content.decode()
    assert other.number in searched and known.number not in searched


def test_the_queue_button_takes_the_selected_incidents_to_a_new_problem(
    make_incident: Callable[..., Any], agent: User
) -> None:
    # given three incidents selected in the queue
    incidents = [make_incident(f"Mail down {n}") for n in range(3)]
    browser = client_for(agent)
    queue = browser.get(reverse("incidents:queue")).content.decode()
    assert reverse("problems:from_incidents") in queue

    # when the button posts them, and the agent submits the filled-in form
    numbers = [incident.number for incident in incidents]
    answer = browser.post(reverse("problems:from_incidents"), {"numbers": numbers})
    form = browser.get(answer["Location"]).content.decode()
    field = re.search(r'name="incidents"[^>]*value="([^"]*)"', form)
    assert field is not None and field.group(1).split() == numbers
    created = browser.post(
        reverse("problems:new"),
        {
            "short_description": "Mail outage",
            "incidents": field.group(1),
            "impact": 2,
            "urgency": 2,
        },
    )

    # then the problem is opened with the three incidents and its page shows them
    problem = Problem.objects.get()
    assert created["Location"] == reverse("problems:record", args=[problem.number])
    assert sorted(problem.links.values_list("incident__number", flat=True)) == numbers
    page = browser.get(created["Location"]).content.decode()
    assert all(number in page for number in numbers)


def test_a_refused_new_problem_shows_why_beside_the_field(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any], agent: User
) -> None:
    incident = make_incident()
    first = make_problem(incidents=[incident])
    answer = client_for(agent).post(
        reverse("problems:new"),
        {"short_description": "Again", "incidents": incident.number, "impact": 3, "urgency": 3},
    )
    assert answer.status_code == 400
    assert f"{incident.number} is linked to {first.number}" in answer.content.decode()
    assert Problem.objects.count() == 1


def test_the_analysis_form_saves_the_structured_analysis(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    # given a problem
    problem = make_problem()
    browser = client_for(agent)

    # when the analysis is posted as lines
    answer = browser.post(
        reverse("problems:action", args=[problem.number, "analysis"]),
        {
            "version": problem.version,
            "root_cause": "Log partition **full**",
            "workaround": "Delete old logs",
            "five_whys": "Why did mail stop? | The disk was full\nWhy was it full? | Debug logs",
            "timeline": "2025-03-01 09:00 | Debug logging on\n2025-03-02 10:00 | Disk alarm",
        },
    )

    # then it is saved and shown, the Markdown rendered
    assert answer.status_code == 302
    problem.refresh_from_db()
    assert problem.five_whys[1] == {"why": "Why was it full?", "because": "Debug logs"}
    assert problem.timeline[0]["text"] == "Debug logging on"
    page = browser.get(answer["Location"]).content.decode()
    assert "Log partition <strong>full</strong>" in page
    assert "— Debug logs" in page


def test_a_stale_form_is_refused_with_a_conflict(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    actions.update_problem(problem, acting_user=agent, fix="Patch")
    answer = client_for(agent).post(
        reverse("problems:action", args=[problem.number, "analysis"]),
        {"version": 1, "root_cause": "Mine"},
    )
    assert answer.status_code == 409
    assert "changed by someone else" in answer.content.decode()
    problem.refresh_from_db()
    assert problem.root_cause == ""


def test_resolving_on_the_page_resolves_the_incidents_and_says_how_many(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any], agent: User
) -> None:
    # given a problem with two open incidents
    incidents = [make_incident(), make_incident()]
    problem = make_problem(incidents=incidents)

    # when it is resolved with the option ticked
    browser = client_for(agent)
    answer = browser.post(
        reverse("problems:action", args=[problem.number, "resolve"]),
        {
            "version": problem.version,
            "code": "fix_applied",
            "notes": "Patched",
            "resolve_incidents": "on",
        },
        follow=True,
    )

    # then both incidents are resolved and the page says so
    assert "2 incident(s) resolved with it" in answer.content.decode()
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.state == IncidentState.RESOLVED
    problem.refresh_from_db()
    assert problem.state == ProblemState.RESOLVED


def test_marking_a_known_error_without_a_workaround_names_the_field(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    answer = client_for(agent).post(
        reverse("problems:action", args=[problem.number, "known-error"]),
        {"version": problem.version},
    )
    assert answer.status_code == 400
    assert "workaround: Record it before marking a known error." in answer.content.decode()


def test_tasks_are_worked_on_the_page(
    make_problem: Callable[..., Problem], agent: User, team: SupportGroup
) -> None:
    # given a problem of a team
    problem = make_problem(assignment_group=team)
    browser = client_for(agent)

    # when a task is added, assigned to the agent, started and completed
    browser.post(
        reverse("problems:action", args=[problem.number, "task"]),
        {"title": "Check the logs", "kind": "analysis", "assignment_group": team.pk},
    )
    task = problem.tasks.get()
    url = lambda move: reverse("problems:task_action", args=[problem.number, task.number, move])  # noqa: E731
    browser.post(url("assign"), {"version": 1, "group": team.pk, "assignee": agent.pk})
    browser.post(url("start"), {"version": 2})
    answer = browser.post(url("complete"), {"version": 3, "notes": "Found it"}, follow=True)

    # then it is complete, and the page shows it
    task.refresh_from_db()
    assert (task.state, task.assignee, task.notes) == (ProblemTaskState.COMPLETE, agent, "Found it")
    assert f"{task.number} was completed." in answer.content.decode()


def test_the_incident_page_shows_its_problem_and_links_to_one(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any], agent: User
) -> None:
    # given an incident without a problem and a problem
    incident = make_incident()
    problem = make_problem()
    browser = client_for(agent)
    page = browser.get(reverse("incidents:record", args=[incident.number])).content.decode()
    assert "Link to a problem" in page

    # when the agent links it from the incident page
    browser.post(
        reverse("problems:link_from_incident", args=[incident.number]),
        {"problem": problem.number.lower()},
    )

    # then the incident page shows its problem, and both histories record it
    page = browser.get(reverse("incidents:record", args=[incident.number])).content.decode()
    shown = re.search(r'data-testid="incident-problem">(.*?)</dd>', page, re.S)
    assert shown is not None and problem.number in shown.group(1)
    assert history_of(incident).filter(action="problem_linked").exists()
    assert history_of(problem).filter(action="incident_linked").exists()


def test_the_workspace_has_a_problems_tab_for_staff_only(
    agent: User, auditor: User, requester: User
) -> None:
    for user in (agent, auditor):
        page = client_for(user).get(reverse("incidents:queue")).content.decode()
        assert f'href="{reverse("problems:list")}" data-tab="problems"' in page
    assert client_for(requester).get(reverse("problems:list")).status_code == 403


def test_readers_see_problems_but_cannot_change_them(
    make_problem: Callable[..., Problem], auditor: User
) -> None:
    problem = make_problem()
    browser = client_for(auditor)
    page = browser.get(reverse("problems:record", args=[problem.number]))
    assert page.status_code == 200
    assert "Edit the analysis" not in page.content.decode()
    answer = browser.post(
        reverse("problems:action", args=[problem.number, "analysis"]),
        {"version": 1, "root_cause": "x"},
    )
    assert answer.status_code == 403
