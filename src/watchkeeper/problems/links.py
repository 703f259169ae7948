"""Linking incidents to the problem that causes them (one problem per incident), recorded in
the histories of both: the problem lists its incidents, the incident shows its problem."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.incidents.models import Incident
from watchkeeper.problems._common import changing, refuse_closed, require_work, sync
from watchkeeper.problems.models import Problem, ProblemIncident


def check_free(incidents: Iterable[Incident], problem: Problem | None = None) -> None:
    """Refuse incidents already linked to another problem, naming each and its problem."""
    numbers = [incident.number for incident in incidents]
    taken = ProblemIncident.objects.filter(incident__number__in=numbers).select_related(
        "problem", "incident"
    )
    clashes = [
        f"{link.incident.number} is linked to {link.problem.number}"
        for link in taken
        if problem is None or link.problem_id != problem.pk
    ]
    if clashes:
        raise ValidationError({"incidents": "; ".join(sorted(clashes)) + "."})


def attach(
    problem: Problem,
    incidents: Iterable[Incident],
    *,
    acting_user: Any,
    channel: str,
    automatic: bool = False,
) -> list[Incident]:
    """Link ``incidents`` to the locked ``problem`` and record it on each incident; return the
    ones newly linked. Runs inside the problem's transaction; the problem's own entry is the
    caller's."""
    incidents = [i for i in dict.fromkeys(incidents) if not _linked_here(problem, i)]
    check_free(incidents, problem)
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    for incident in incidents:
        ProblemIncident.objects.create(
            problem=problem, incident=incident, linked_by=actor, automatic=automatic
        )
        record_change(
            incident,
            action="problem_linked",
            actor=acting_user,
            channel=channel,
            changes={"problem": (None, problem.number)},
        )
    return incidents


def _linked_here(problem: Problem, incident: Incident) -> bool:
    return ProblemIncident.objects.filter(problem=problem, incident=incident).exists()


def link_incident(
    problem: Problem,
    incident: Incident,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    automatic: bool = False,
) -> Problem:
    """Link one incident; its configuration item joins the problem's affected items."""
    require_work(acting_user)
    with changing(problem, None) as current:
        refuse_closed(current)
        if _linked_here(current, incident):
            raise ValidationError({"incident": f"{incident.number} is already linked."})
        attach(current, [incident], acting_user=acting_user, channel=channel, automatic=automatic)
        notes: dict[str, tuple[Any, Any]] = {"incident": (None, incident.number)}
        ci = incident.configuration_item
        if ci is not None and not current.configuration_items.filter(pk=ci.pk).exists():
            current.configuration_items.add(ci)
            notes["configuration_items"] = (None, str(ci))
        record_change(
            current, action="incident_linked", actor=acting_user, channel=channel, changes=notes
        )
    sync(problem, current)
    return problem


def unlink_incident(
    problem: Problem, incident: Incident, *, acting_user: Any, channel: str = Channel.WEB
) -> Problem:
    """Remove the link (the incident was not caused by this problem after all)."""
    require_work(acting_user)
    with changing(problem, None) as current:
        refuse_closed(current)
        deleted, _ = ProblemIncident.objects.filter(problem=current, incident=incident).delete()
        if not deleted:
            raise ValidationError({"incident": f"{incident.number} is not linked to {problem}."})
        record_change(
            incident,
            action="problem_unlinked",
            actor=acting_user,
            channel=channel,
            changes={"problem": (current.number, None)},
        )
        record_change(
            current,
            action="incident_unlinked",
            actor=acting_user,
            channel=channel,
            changes={"incident": (incident.number, None)},
        )
    sync(problem, current)
    return problem
