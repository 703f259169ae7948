"""Known-error matching: a new incident that looks like a known error is linked to it, and its
workaround is put in a work note for whoever works the incident.

``create_incident`` calls ``match_new_incident`` inside its transaction, so this stays cheap: one
indexed query finds the open known errors (there are few) sharing the incident's configuration
item, service or category, and the texts are compared in memory with ``detection.words``.
The caller never sees it: the link and the note are staff-only, like every work note.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from watchkeeper.core.choices import Channel
from watchkeeper.incidents.models import Incident
from watchkeeper.problems.choices import ProblemState
from watchkeeper.problems.detection import similarity, words
from watchkeeper.problems.models import Problem

#: The share of words alike (``detection.similarity``) a known error on the incident's own
#: configuration item or service needs; one that shares only the category needs more.
NEAR, STRONG = 0.3, 0.6
#: How closely each kind of shared classification ties them, the closest first.
TIES = {"configuration item": 3, "service": 2, "category": 1}
MAX_WORKAROUND = 15_000


@dataclass(frozen=True)
class Match:
    problem: Problem
    shared: str  # "configuration item", "service" or "category"
    score: float

    def rank(self) -> tuple[int, float, float, int]:
        at = self.problem.known_error_at
        return (TIES[self.shared], self.score, at.timestamp() if at else 0.0, self.problem.pk)


def known_errors_for(incident: Incident) -> list[Problem]:
    """Open known errors on the incident's configuration item, service or category."""
    where = Q()
    if incident.configuration_item_id is not None:
        where |= Q(configuration_items=incident.configuration_item_id)
    if incident.service_id is not None:
        where |= Q(service=incident.service_id)
    if incident.category_id is not None:
        where |= Q(category=incident.category_id)
    if not where:
        return []  # nothing to match on: no query at all
    found = Problem.objects.filter(where, known_error=True).exclude(state=ProblemState.CLOSED)
    return list(found.distinct().prefetch_related("configuration_items"))


def best_match(incident: Incident, problems: list[Problem]) -> Match | None:
    """The closest known error: the most specific shared classification, then the most alike
    text, then the newest known error."""
    text = words(incident.short_description)
    matches = []
    for problem in problems:
        shared = _shared(incident, problem)
        score = similarity(text, words(problem.short_description))
        needed = STRONG if shared == "category" else NEAR
        if shared is not None and score >= needed:
            matches.append(Match(problem, shared, score))
    return max(matches, key=Match.rank, default=None)


def _shared(incident: Incident, problem: Problem) -> str | None:
    items = {item.pk for item in problem.configuration_items.all()}
    if incident.configuration_item_id is not None and incident.configuration_item_id in items:
        return "configuration item"
    if incident.service_id is not None and incident.service_id == problem.service_id:
        return "service"
    if incident.category_id is not None and incident.category_id == problem.category_id:
        return "category"
    return None


def match_new_incident(incident: Incident) -> Problem | None:
    """Link the new ``incident`` to its best-matching known error (``automatic``, recorded in
    both histories) and add the workaround as a work note signed by the system; the known
    error, or ``None``. Runs inside the transaction that creates the incident."""
    from watchkeeper.incidents.actions.conversation import add_work_note
    from watchkeeper.problems.links import link_incident

    match = best_match(incident, known_errors_for(incident))
    if match is None:
        return None
    problem = match.problem
    link_incident(problem, incident, acting_user=None, channel=Channel.SYSTEM, automatic=True)
    add_work_note(incident, body=note(match), acting_user=None, channel=Channel.SYSTEM)
    return problem


def note(match: Match) -> str:
    problem = match.problem
    what = {
        "configuration item": "the same configuration item",
        "service": "the same service",
        "category": "the same category",
    }[match.shared]
    workaround = problem.workaround.strip()[:MAX_WORKAROUND] or "(none recorded yet)"
    return (
        f"Linked automatically to known error {problem.number}: {problem.short_description}\n\n"
        f"It has {what} and {round(match.score * 100)}% of its words alike. If it is not "
        f"this known error, unlink it on {problem.number}.\n\n**Workaround**\n\n{workaround}"
    )
