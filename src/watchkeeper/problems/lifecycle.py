"""The problem state machine: New → Assess → Root cause analysis → Fix in progress → Resolved →
Closed, resolving (optionally with the open incidents it caused), closing and reopening."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, PermissionDenied
from watchkeeper.incidents.choices import OPEN_STATES, ResolutionCode
from watchkeeper.problems._common import (
    apply,
    changing,
    require_manage,
    require_work,
    sync,
)
from watchkeeper.problems.choices import ProblemResolution, ProblemState, ProblemTaskState
from watchkeeper.problems.models import Problem

S = ProblemState
#: The moves of the working states; resolving is possible from each open state (a duplicate
#: or a canceled problem ends early), closing and reopening only from Resolved.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSESS, S.ROOT_CAUSE_ANALYSIS, S.RESOLVED}),
    S.ASSESS: frozenset({S.ROOT_CAUSE_ANALYSIS, S.RESOLVED}),
    S.ROOT_CAUSE_ANALYSIS: frozenset({S.FIX_IN_PROGRESS, S.RESOLVED}),
    S.FIX_IN_PROGRESS: frozenset({S.ROOT_CAUSE_ANALYSIS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.ROOT_CAUSE_ANALYSIS, S.CLOSED}),
    S.CLOSED: frozenset(),
}
#: The states ``move_problem`` reaches; resolve, close and reopen have their own actions.
WORKING_STATES = (S.ASSESS, S.ROOT_CAUSE_ANALYSIS, S.FIX_IN_PROGRESS)
#: How the incidents a problem caused are resolved with it: by its fix, or by its workaround.
INCIDENT_CODES: dict[str, str] = {
    ProblemResolution.FIX_APPLIED: ResolutionCode.SOLVED_PERMANENTLY,
    ProblemResolution.RISK_ACCEPTED: ResolutionCode.SOLVED_WORKAROUND,
}


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(S(state).label for state in sorted(TRANSITIONS[current])) or "none"
        raise ValidationError(
            {
                "state": f"A problem in {S(current).label} cannot move to {S(target).label} "
                f"(allowed: {allowed})."
            }
        )


def move_problem(
    problem: Problem,
    *,
    state: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Problem:
    """Move between the working states: assess, analyse the root cause, fix."""
    require_work(acting_user)
    if state not in WORKING_STATES:
        names = ", ".join(WORKING_STATES)
        raise ValidationError({"state": f"Move to one of {names}; resolve or close separately."})
    with changing(problem, expected_version) as current:
        check_transition(current.state, state)
        apply(
            current,
            {"state": state},
            action="state_changed",
            acting_user=acting_user,
            channel=channel,
        )
    sync(problem, current)
    return problem


@dataclass
class ResolveOutcome:
    """The resolved problem and what became of its open incidents."""

    problem: Problem
    resolved: list[str] = field(default_factory=list)
    not_resolved: list[tuple[str, str]] = field(default_factory=list)


def resolve_problem(
    problem: Problem,
    *,
    code: str,
    notes: str,
    acting_user: Any,
    resolve_incidents: bool = False,
    duplicate_of: Problem | None = None,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> ResolveOutcome:
    """Resolve with a code and notes; with ``resolve_incidents`` each open linked incident is
    then resolved through the incidents' own action. One that cannot be (someone changed it,
    it is on hold for a vendor…) is listed in the outcome and stays open."""
    require_work(acting_user)
    values = _resolution(code, notes, duplicate_of, problem, resolve_incidents)
    with changing(problem, expected_version) as current:
        check_transition(current.state, S.RESOLVED)
        values["resolved_at"] = timezone.now()
        apply(current, values, action="resolved", acting_user=acting_user, channel=channel)
    sync(problem, current)
    outcome = ResolveOutcome(problem)
    if resolve_incidents:
        _resolve_incidents(outcome, INCIDENT_CODES[code], acting_user, channel)
    return outcome


def _resolution(
    code: str, notes: str, duplicate_of: Problem | None, problem: Problem, with_incidents: bool
) -> dict[str, Any]:
    errors = {}
    if code not in ProblemResolution.values:
        errors["code"] = f"Resolution code must be one of: {', '.join(ProblemResolution.values)}."
    if not (notes or "").strip():
        errors["notes"] = "Say how the problem was resolved."
    if code == ProblemResolution.DUPLICATE and duplicate_of is None:
        errors["duplicate_of"] = "Name the problem this one duplicates."
    if duplicate_of is not None and code != ProblemResolution.DUPLICATE:
        errors["duplicate_of"] = "Only a duplicate names the problem it duplicates."
    if duplicate_of is not None and duplicate_of.pk == problem.pk:
        errors["duplicate_of"] = "A problem cannot duplicate itself."
    if with_incidents and code not in INCIDENT_CODES:
        errors["resolve_incidents"] = (
            "Incidents are resolved with a fix applied or with the workaround (risk accepted)."
        )
    if errors:
        raise ValidationError(errors)
    return {
        "state": S.RESOLVED,
        "resolution": code,
        "resolution_notes": notes.strip(),
        "duplicate_of": duplicate_of,
    }


def _resolve_incidents(outcome: ResolveOutcome, code: str, acting_user: Any, channel: str) -> None:
    from watchkeeper.incidents import actions as incident_actions

    problem = outcome.problem
    notes = f"Resolved with problem {problem.number}: {problem.resolution_notes}"
    links = problem.links.filter(incident__state__in=OPEN_STATES).select_related("incident")
    for link in links.order_by("incident__number"):
        incident = link.incident
        try:
            incident_actions.resolve(
                incident, code=code, notes=notes, acting_user=acting_user, channel=channel
            )
        except (ValidationError, PermissionDenied, Conflict) as error:
            outcome.not_resolved.append((incident.number, _message(error)))
        else:
            outcome.resolved.append(incident.number)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def close_problem(
    problem: Problem,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Problem:
    """Problem managers close a resolved problem once its tasks are done."""
    require_manage(acting_user)
    with changing(problem, expected_version) as current:
        check_transition(current.state, S.CLOSED)
        open_tasks = current.tasks.filter(
            state__in=(ProblemTaskState.OPEN, ProblemTaskState.IN_PROGRESS)
        ).values_list("number", flat=True)
        if open_tasks:
            raise ValidationError(
                {"tasks": f"Finish or cancel the open tasks first: {', '.join(open_tasks)}."}
            )
        apply(
            current,
            {"state": S.CLOSED, "closed_at": timezone.now()},
            action="closed",
            acting_user=acting_user,
            channel=channel,
        )
    sync(problem, current)
    return problem


def reopen_problem(
    problem: Problem,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Problem:
    """The fix did not hold: back to root cause analysis, with the reason in the history."""
    require_work(acting_user)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the problem is not resolved."})
    with changing(problem, expected_version) as current:
        if current.state != S.RESOLVED:
            raise ValidationError(
                {
                    "state": f"Only a resolved problem can be reopened; {current.number} is "
                    f"{current.get_state_display()}."
                }
            )
        values = {
            "state": S.ROOT_CAUSE_ANALYSIS,
            "resolution": "",
            "resolution_notes": "",
            "resolved_at": None,
            "duplicate_of": None,
        }
        apply(
            current,
            values,
            action="reopened",
            acting_user=acting_user,
            channel=channel,
            notes={"reason": (None, reason.strip()[:2000])},
        )
    sync(problem, current)
    return problem
