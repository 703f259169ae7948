"""The problem manager's decisions on the candidates the recurring-incident analysis
(``problems.detection``) proposes: accept (a problem is opened from its incidents) or dismiss
(with a reason; the same pattern comes back only with incidents opened afterwards)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.incidents.models import Incident
from watchkeeper.problems.choices import CandidateState
from watchkeeper.problems.models import Problem, ProblemCandidate
from watchkeeper.problems.permissions import ProblemPermission

MAX_REASON = 2_000


def _decidable(candidate: ProblemCandidate) -> ProblemCandidate:
    """The candidate's row, locked; refused unless it still waits for a decision."""
    current = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if current.state != CandidateState.PROPOSED:
        done = current.get_state_display().lower()
        raise ValidationError({"state": f"This candidate was {done} already."})
    return current


def _decided(current: ProblemCandidate, state: str, acting_user: Any, **values: Any) -> None:
    current.state = state
    current.decided_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    current.decided_at = timezone.now()
    for name, value in values.items():
        setattr(current, name, value)
    current.save(update_fields=["state", "decided_by", "decided_at", *values])


def accept(
    candidate: ProblemCandidate,
    *,
    acting_user: Any,
    short_description: str = "",
    channel: str = Channel.WEB,
) -> Problem:
    """Open a problem from the candidate's incidents (``actions.create_problem``). Incidents
    linked to a problem already are left out and named; the decision is the first entry of the
    new problem's history after its creation (a candidate has no history of its own)."""
    from watchkeeper.problems.actions import create_problem  # it imports incident actions

    require_permission(acting_user, ProblemPermission.MANAGE)
    with transaction.atomic():
        current = _decidable(candidate)
        found = current.incidents.select_related("problem_link__problem", "category")
        incidents = list(found.order_by("created_at", "pk"))
        links = {i.number: getattr(i, "problem_link", None) for i in incidents}
        taken = {number: link.problem.number for number, link in links.items() if link}
        free = [incident for incident in incidents if incident.number not in taken]
        if not free:
            listed = ", ".join(f"{n} ({p})" for n, p in sorted(taken.items()))
            raise ValidationError({"incidents": f"Every incident is linked already: {listed}."})
        problem = create_problem(
            acting_user=acting_user,
            short_description=(short_description.strip() or current.title)[:160],
            description=_description(current, taken),
            incidents=free,
            category=_shared_category(free),
            channel=channel,
        )
        decision = {"id": current.pk, "basis": current.basis, "title": current.title}
        notes = {"candidate": (None, decision), "left_out": (None, sorted(taken))}
        record_change(
            problem, action="candidate_accepted", actor=acting_user, channel=channel, changes=notes
        )
        _decided(current, CandidateState.ACCEPTED, acting_user, problem=problem)
    candidate.refresh_from_db()
    return problem


def _shared_category(incidents: list[Incident]) -> Any:
    categories = {incident.category for incident in incidents}
    return categories.pop() if len(categories) == 1 else None


def _description(candidate: ProblemCandidate, taken: dict[str, str]) -> str:
    evidence = candidate.evidence
    lines = [
        f"Proposed by the recurring-incident analysis: {candidate.title}.",
        "",
        f"- Basis: {candidate.get_basis_display()}: {evidence.get('label', candidate.key)}",
        f"- Opened from {evidence.get('first_opened', '?')} to {evidence.get('last_opened', '?')}",
    ]
    if evidence.get("common_words"):
        lines.append(f"- Common words: {', '.join(evidence['common_words'])}")
    if taken:
        left_out = ", ".join(f"{number} ({problem})" for number, problem in sorted(taken.items()))
        lines.append(f"- Left out, linked to another problem already: {left_out}")
    return "\n".join(lines)


def dismiss(candidate: ProblemCandidate, *, acting_user: Any, reason: str) -> ProblemCandidate:
    """Not a problem: the reason, who and when stay on the candidate. The same pattern is only
    proposed again when incidents opened after this decision join it."""
    require_permission(acting_user, ProblemPermission.MANAGE)
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": "Say why this is not a problem."})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": f"At most {MAX_REASON:,} characters."})
    with transaction.atomic():
        current = _decidable(candidate)
        _decided(current, CandidateState.DISMISSED, acting_user, reason=text)
    candidate.refresh_from_db()
    return current
