"""Problem actions: opening from incidents, editing with the analysis, the state machine,
resolving with the incidents, known errors, links and tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.core import search
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.choices import IncidentState, ResolutionCode
from watchkeeper.knowledge.choices import Audience
from watchkeeper.problems import actions
from watchkeeper.problems.choices import ProblemState, ProblemTaskState
from watchkeeper.problems.models import Problem

pytestmark = pytest.mark.django_db


def test_a_problem_opened_from_incidents_takes_their_items_and_links_them(
    agent: User, make_incident: Callable[..., Any], make_ci: Callable[..., Any]
) -> None:
    # given three incidents on the same service, two of them on one server
    service = make_ci("Mail", ci_class=CiClass.BUSINESS_SERVICE)
    server = make_ci("mail-01")
    incidents = [
        make_incident("Mail is slow", service=service, configuration_item=server),
        make_incident("Mail bounces", service=service, configuration_item=server),
        make_incident("Cannot send mail", service=service),
    ]

    # when an agent opens a problem from them
    problem = actions.create_problem(
        acting_user=agent,
        short_description="Mail queue stalls",
        incidents=incidents,
        impact=1,
        urgency=2,
    )

    # then it is numbered, prioritised by the matrix, and carries the incidents' service and CI
    assert problem.number.startswith("PRB")
    assert problem.priority == 2
    assert problem.state == ProblemState.NEW
    assert problem.service == service
    assert list(problem.configuration_items.all()) == [server]
    assert sorted(link.incident.number for link in problem.links.all()) == sorted(
        incident.number for incident in incidents
    )
    # and each incident's history shows its problem, as does the problem's
    for incident in incidents:
        entry = history_of(incident).last()
        assert entry is not None and entry.action == "problem_linked"
        assert entry.changes["problem"]["new"] == problem.number
    created = history_of(problem).get()
    assert created.action == "created"
    assert len(created.changes["incidents"]["new"]) == 3
    assert verify_history() == []
    # and it can be found by its words
    assert list(search.search(Problem.objects.all(), "queue stalls")) == [problem]


def test_an_incident_linked_to_another_problem_is_refused_by_name(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any]
) -> None:
    # given an incident of a problem
    incident = make_incident()
    first = make_problem(incidents=[incident])

    # when another problem is opened with it
    with pytest.raises(ValidationError) as refused:
        make_problem("Another cause", incidents=[incident, make_incident()])

    # then the refusal names the incident and its problem, and nothing was opened
    assert f"{incident.number} is linked to {first.number}" in str(refused.value)
    assert Problem.objects.count() == 1


def test_requesters_cannot_open_problems(requester: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_problem(acting_user=requester, short_description="Nope")


def test_an_edit_against_an_old_version_is_refused(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    # given a problem someone else changed since it was read
    problem = make_problem()
    stale = Problem.objects.get(pk=problem.pk)
    actions.update_problem(problem, acting_user=agent, root_cause="Disk full", expected_version=1)

    # when the stale copy is saved
    with pytest.raises(Conflict):
        actions.update_problem(stale, acting_user=agent, root_cause="Other", expected_version=1)

    # then the first change stands
    problem.refresh_from_db()
    assert (problem.root_cause, problem.version) == ("Disk full", 2)


def test_the_analysis_is_recorded_with_its_history(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    # given a problem
    problem = make_problem()

    # when the analysis is written, with new impact and urgency
    actions.update_problem(
        problem,
        acting_user=agent,
        expected_version=problem.version,
        root_cause="The log partition fills up",
        workaround="Rotate the logs by hand",
        five_whys=[{"why": "Why did mail stop?", "because": "The disk was full"}],
        timeline=[
            {"at": "2025-03-02T10:00", "text": "Disk alarm"},
            {"at": "2025-03-01T09:00", "text": "Log level raised"},
        ],
        impact=1,
        urgency=1,
    )

    # then it is saved, the timeline in time order, the priority recomputed
    problem.refresh_from_db()
    assert problem.priority == 1
    assert problem.five_whys == [{"why": "Why did mail stop?", "because": "The disk was full"}]
    assert [step["text"] for step in problem.timeline] == ["Log level raised", "Disk alarm"]
    entry = history_of(problem).last()
    assert entry is not None
    assert entry.changes["root_cause"] == {"old": "", "new": "The log partition fills up"}
    assert list(search.search(Problem.objects.all(), "partition")) == [problem]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("five_whys", [{"because": "no why"}], "say why"),
        ("five_whys", "not a list", "Give a list"),
        ("timeline", [{"at": "yesterday", "text": "x"}], "'at' must be a date"),
        ("timeline", [{"at": "2025-01-01T10:00"}], "say what happened"),
    ],
)
def test_a_malformed_analysis_is_refused_naming_the_field(
    make_problem: Callable[..., Problem], agent: User, field: str, value: Any, says: str
) -> None:
    problem = make_problem()
    with pytest.raises(ValidationError) as refused:
        actions.update_problem(problem, acting_user=agent, **{field: value})
    assert says in refused.value.message_dict[field][0]
    problem.refresh_from_db()
    assert problem.version == 1


def test_the_state_machine_allows_only_its_moves(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    with pytest.raises(ValidationError, match="cannot move to Fix in progress"):
        actions.move_problem(problem, state=ProblemState.FIX_IN_PROGRESS, acting_user=agent)
    for state in (ProblemState.ASSESS, ProblemState.ROOT_CAUSE_ANALYSIS, "fix_in_progress"):
        actions.move_problem(problem, state=state, acting_user=agent)
    assert problem.state == ProblemState.FIX_IN_PROGRESS
    with pytest.raises(ValidationError):
        actions.move_problem(problem, state=ProblemState.CLOSED, acting_user=agent)


def test_resolving_needs_a_code_and_notes(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    with pytest.raises(ValidationError) as refused:
        actions.resolve_problem(problem, code="nonsense", notes=" ", acting_user=agent)
    assert set(refused.value.message_dict) == {"code", "notes"}


def test_resolving_with_the_incidents_resolves_the_open_ones_and_lists_the_rest(
    make_problem: Callable[..., Problem],
    make_incident: Callable[..., Any],
    agent: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a problem with two open incidents, one already resolved, and one that will refuse
    open_one, stubborn, done = make_incident(), make_incident(), make_incident()
    incident_actions.resolve(
        done, code=ResolutionCode.SOLVED_REMOTELY_PERMANENTLY, notes="Rebooted", acting_user=agent
    )
    problem = make_problem(incidents=[open_one, stubborn, done])
    real_resolve = incident_actions.resolve

    def resolve(incident: Any, **kwargs: Any) -> Any:
        if incident.pk == stubborn.pk:
            raise ValidationError({"state": "Someone is still working on it."})
        return real_resolve(incident, **kwargs)

    monkeypatch.setattr(incident_actions, "resolve", resolve)

    # when the problem is resolved with a fix, resolving its incidents
    with django_capture_on_commit_callbacks(execute=True):
        outcome = actions.resolve_problem(
            problem,
            code="fix_applied",
            notes="Log rotation fixed",
            acting_user=agent,
            resolve_incidents=True,
        )

    # then the open one is resolved permanently with the problem's notes; the stubborn one listed
    assert outcome.problem.state == ProblemState.RESOLVED
    assert outcome.resolved == [open_one.number]
    assert outcome.not_resolved == [(stubborn.number, "Someone is still working on it.")]
    open_one.refresh_from_db()
    stubborn.refresh_from_db()
    assert open_one.state == IncidentState.RESOLVED
    assert open_one.resolution_code == ResolutionCode.SOLVED_PERMANENTLY
    assert problem.number in open_one.resolution_notes
    assert "Log rotation fixed" in open_one.resolution_notes
    assert stubborn.state == IncidentState.NEW


def test_a_canceled_problem_cannot_resolve_its_incidents(
    make_problem: Callable[..., Problem], make_incident: Callable[..., Any], agent: User
) -> None:
    problem = make_problem(incidents=[make_incident()])
    with pytest.raises(ValidationError) as refused:
        actions.resolve_problem(
            problem,
            code="canceled",
            notes="Not a problem",
            acting_user=agent,
            resolve_incidents=True,
        )
    assert "resolve_incidents" in refused.value.message_dict
    problem.refresh_from_db()
    assert problem.state == ProblemState.NEW


def test_only_problem_managers_close_and_only_when_the_tasks_are_done(
    make_problem: Callable[..., Problem], agent: User, problem_manager: User
) -> None:
    # given a resolved problem with an open task
    problem = make_problem()
    task = actions.create_task(problem, title="Check other servers", acting_user=agent)
    actions.resolve_problem(problem, code="risk_accepted", notes="Lives with it", acting_user=agent)

    # then an agent cannot close it, and a manager not while the task is open
    with pytest.raises(PermissionDenied):
        actions.close_problem(problem, acting_user=agent)
    with pytest.raises(ValidationError, match=task.number):
        actions.close_problem(problem, acting_user=problem_manager)

    # when the task is cancelled, the manager closes it
    actions.cancel_task(task, reason="Not needed", acting_user=agent)
    actions.close_problem(problem, acting_user=problem_manager)
    assert problem.state == ProblemState.CLOSED
    assert problem.closed_at is not None
    with pytest.raises(ValidationError):
        actions.update_problem(problem, acting_user=problem_manager, fix="Too late")


def test_reopening_returns_to_root_cause_analysis_with_the_reason(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    with pytest.raises(ValidationError, match="Only a resolved problem"):
        actions.reopen_problem(problem, reason="Again", acting_user=agent)
    actions.resolve_problem(problem, code="fix_applied", notes="Patched", acting_user=agent)
    actions.reopen_problem(problem, reason="It happened again", acting_user=agent)
    problem.refresh_from_db()
    assert (problem.state, problem.resolution, problem.resolved_at) == (
        ProblemState.ROOT_CAUSE_ANALYSIS,
        "",
        None,
    )
    entry = history_of(problem).last()
    assert entry is not None and entry.changes["reason"]["new"] == "It happened again"


def test_a_known_error_needs_root_cause_and_workaround(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    problem = make_problem()
    actions.update_problem(problem, acting_user=agent, root_cause="Disk full")
    with pytest.raises(ValidationError) as refused:
        actions.mark_known_error(problem, agent)
    assert list(refused.value.message_dict) == ["workaround"]
    problem.refresh_from_db()
    assert problem.known_error is False


def test_marking_a_known_error_publishes_the_article_and_a_new_workaround_republishes(
    make_problem: Callable[..., Problem], agent: User
) -> None:
    # given a problem with its root cause and workaround
    problem = make_problem()
    actions.update_problem(
        problem, acting_user=agent, root_cause="Disk full", workaround="Delete old logs"
    )

    # when it is marked a known error
    actions.mark_known_error(problem, agent)

    # then it is one, with its agents-only article holding the workaround
    problem.refresh_from_db()
    assert problem.known_error and problem.known_error_at is not None
    article = problem.article
    assert article is not None and article.audience == Audience.AGENTS
    assert article.published is not None and "Delete old logs" in article.published.body
    assert history_of(problem).filter(action="marked_known_error").exists()

    # when the workaround changes, the article gets a new published version
    first = article.published_id
    actions.update_problem(problem, acting_user=agent, workaround="Rotate the logs")
    article.refresh_from_db()
    assert article.published_id != first
    assert article.published is not None and "Rotate the logs" in article.published.body
    # and a known error cannot lose its workaround
    with pytest.raises(ValidationError):
        actions.update_problem(problem, acting_user=agent, workaround="")


def test_linking_and_unlinking_show_in_both_histories(
    make_problem: Callable[..., Problem],
    make_incident: Callable[..., Any],
    make_ci: Callable[..., Any],
    agent: User,
) -> None:
    # given a problem and an incident on a server
    server = make_ci("db-01")
    incident = make_incident(configuration_item=server)
    problem = make_problem()

    # when it is linked
    actions.link_incident(problem, incident, acting_user=agent)

    # then the incident shows its problem and the server joins the affected items
    assert incident.problem_link.problem == problem  # type: ignore[attr-defined]
    assert list(problem.configuration_items.all()) == [server]
    assert history_of(problem).last().action == "incident_linked"  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        actions.link_incident(make_problem("Other"), incident, acting_user=agent)

    # when it is unlinked, both histories say so
    actions.unlink_incident(problem, incident, acting_user=agent)
    assert not problem.links.exists()
    assert history_of(incident).last().action == "problem_unlinked"  # type: ignore[union-attr]
    assert history_of(problem).last().action == "incident_unlinked"  # type: ignore[union-attr]


def test_tasks_are_assigned_within_their_group_and_worked_to_the_end(
    make_problem: Callable[..., Problem],
    agent: User,
    team: SupportGroup,
    make_user: Callable[..., User],
) -> None:
    # given a task of a problem
    problem = make_problem(assignment_group=team)
    task = actions.create_task(problem, title="Find the cause", kind="analysis", acting_user=agent)
    assert task.number.startswith("PTASK") and task.assignment_group == team
    assert history_of(problem).last().action == "task_added"  # type: ignore[union-attr]

    # then it cannot go to someone outside the group
    with pytest.raises(ValidationError, match="not a member"):
        actions.assign_task(task, group=team, assignee=make_user(), acting_user=agent)

    # when it is assigned, started and completed with notes
    actions.assign_task(task, group=team, assignee=agent, acting_user=agent, expected_version=1)
    actions.start_task(task, acting_user=agent)
    with pytest.raises(ValidationError):
        actions.complete_task(task, notes="", acting_user=agent)
    actions.complete_task(task, notes="Log level was debug", acting_user=agent)

    # then it is complete, and finished tasks do not move again
    task.refresh_from_db()
    assert (task.state, task.assignee, task.notes) == (
        ProblemTaskState.COMPLETE,
        agent,
        "Log level was debug",
    )
    with pytest.raises(ValidationError):
        actions.cancel_task(task, reason="Oops", acting_user=agent)
    assert [e.action for e in history_of(task)] == ["created", "assigned", "started", "completed"]
