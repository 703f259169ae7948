"""Problem candidates over the API, ``/api/v1/problems/candidates``: what the recurring-incident
analysis proposed (``problems.detection``), each with its evidence and incidents, and the problem
manager's decision: accept (a problem is opened from the incidents) or dismiss (with a reason).

Staff with ``problems.view`` read them; deciding needs ``problems.manage``. The router is mounted
before the problems router, whose ``/problems/{number}`` would otherwise take "candidates".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import MAX_ID, ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.problems import candidates
from watchkeeper.problems.choices import CandidateBasis, CandidateState
from watchkeeper.problems.models import ProblemCandidate
from watchkeeper.problems.permissions import ProblemPermission as P

router = Router(tags=["problem candidates"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PATH = "/problems/candidates/{int:candidate_id}"


class CandidateOut(Schema):
    id: int
    basis: CandidateBasis
    key: str = Field(..., description="What the incidents share: an id, ids, or words")
    title: str
    state: CandidateState
    evidence: dict[str, Any] = Field(
        ..., description="basis, window, count, incidents (numbers), common_words, first and "
        "last opened, and `previous` when an earlier decision on the pattern exists",
    )  # fmt: skip
    incident_count: int = Field(..., description="Every incident linked to the candidate")
    problem: str | None = Field(None, alias="problem.number")
    decided_by: str | None = Field(None, alias="decided_by.username")
    decided_at: dt.datetime | None
    reason: str
    created_at: dt.datetime
    last_seen_at: dt.datetime


class CandidateIncidentOut(Schema):
    number: str
    short_description: str
    state: IncidentState
    opened_at: dt.datetime = Field(..., alias="created_at")
    problem: str | None = Field(None, description="The problem it is linked to, if any")

    @staticmethod
    def resolve_problem(obj: Incident) -> str | None:
        link = getattr(obj, "problem_link", None)
        return link.problem.number if link is not None else None


class CandidateDetailOut(CandidateOut):
    incidents: list[CandidateIncidentOut] = Field(
        ..., description="Those you may see, oldest first"
    )

    @staticmethod
    def resolve_incidents(obj: Any) -> list[Incident]:
        return list(obj.incident_list)


class CandidateFilters(Schema):
    state: CandidateState | None = Field(None, description="proposed, accepted or dismissed")
    basis: CandidateBasis | None = None


class AcceptIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    short_description: str = Field(
        "", max_length=160, description="The problem's; empty: the candidate's title"
    )


class DismissIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=candidates.MAX_REASON)


def _candidates() -> QuerySet[ProblemCandidate]:
    rows = ProblemCandidate.objects.select_related("problem", "decided_by")
    return rows.annotate(incident_count=Count("incidents"))


def _candidate(candidate_id: int) -> ProblemCandidate:
    found = _candidates().filter(pk=min(candidate_id, MAX_ID)).first()
    if found is None:
        raise Http404(str(candidate_id))
    return found


def _detail(request: HttpRequest, candidate_id: int) -> ProblemCandidate:
    candidate = _candidate(candidate_id)
    visible = Incident.objects.restrict(caller(request))
    incidents = visible.filter(pk__in=candidate.incidents.values("pk"))
    found = incidents.select_related("problem_link__problem").order_by("created_at", "pk")
    candidate.incident_list = list(found)  # type: ignore[attr-defined]
    return candidate


@router.get(
    "/problems/candidates",
    response={200: list[CandidateOut], 403: ErrorOut, 422: ErrorOut},
    operation_id="list_problem_candidates",
    summary="List problem candidates",
    description="Most recently seen first. Filters: `state`, `basis`.",
)
@requires(P.VIEW)
@paginate(Pagination)
def list_problem_candidates(
    request: HttpRequest, filters: Query[CandidateFilters]
) -> QuerySet[ProblemCandidate]:
    rows = _candidates()
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.basis is not None:
        rows = rows.filter(basis=filters.basis)
    return rows.order_by("-last_seen_at", "-pk")


@router.get(
    PATH,
    response={200: CandidateDetailOut, **ERRORS},
    operation_id="get_problem_candidate",
    summary="A problem candidate with its incidents",
)
@requires(P.VIEW)
def get_problem_candidate(request: HttpRequest, candidate_id: int) -> ProblemCandidate:
    return _detail(request, candidate_id)


@router.post(
    f"{PATH}/accept",
    response={200: CandidateDetailOut, **ERRORS},
    operation_id="accept_problem_candidate",
    summary="Accept: open a problem from the candidate's incidents",
    description="Incidents linked to a problem already are left out (the new problem's history "
    "names them); 400 when every one is. The candidate's `problem` is the new problem.",
)
@requires(P.MANAGE)
def accept_problem_candidate(
    request: HttpRequest, candidate_id: int, payload: AcceptIn
) -> ProblemCandidate:
    candidate = _candidate(candidate_id)
    candidates.accept(
        candidate,
        acting_user=caller(request),
        short_description=payload.short_description,
        channel=Channel.API,
    )
    return _detail(request, candidate_id)


@router.post(
    f"{PATH}/dismiss",
    response={200: CandidateDetailOut, **ERRORS},
    operation_id="dismiss_problem_candidate",
    summary="Dismiss: not a problem, with the reason",
    description="The pattern is proposed again only when incidents opened after this decision "
    "join it.",
)
@requires(P.MANAGE)
def dismiss_problem_candidate(
    request: HttpRequest, candidate_id: int, payload: DismissIn
) -> ProblemCandidate:
    candidate = _candidate(candidate_id)
    candidates.dismiss(candidate, acting_user=caller(request), reason=payload.reason)
    return _detail(request, candidate_id)
