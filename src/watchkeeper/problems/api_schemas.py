"""Request and response schemas of the problems API (``problems.api``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from watchkeeper.core.api import MAX_ID, MAX_OFFSET, ApiFilterSchema
from watchkeeper.incidents.api_schemas import (
    CategoryRef,
    CiRef,
    GroupRef,
    Strict,
    Versioned,
)
from watchkeeper.incidents.choices import Impact, IncidentState, Urgency
from watchkeeper.problems.choices import (
    ProblemResolution,
    ProblemState,
    ProblemTaskKind,
    ProblemTaskState,
)
from watchkeeper.problems.models import Problem, ProblemTask

MAX_TEXT = 50_000
CI_REF = "A configuration item's number (CI0000012) or id"
INCIDENT_NUMBER = Field(..., min_length=1, max_length=16, description="An incident's number")


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _ci(ci: Any) -> dict[str, str] | None:
    return {"number": ci.number, "name": ci.name} if ci is not None else None


# --- responses ------------------------------------------------------------------------------


class WhyStep(Schema):
    why: str = Field(..., min_length=1, max_length=2000)
    because: str = Field("", max_length=2000)


class TimelineStep(Schema):
    at: dt.datetime = Field(..., description="ISO 8601; without a time zone, the site's")
    text: str = Field(..., min_length=1, max_length=2000)


class LinkedIncidentOut(Schema):
    number: str
    short_description: str
    state: IncidentState
    priority: int
    linked_at: dt.datetime
    automatic: bool


class ProblemSummaryOut(Schema):
    number: str
    version: int
    state: ProblemState
    short_description: str
    priority: int
    impact: int
    urgency: int
    known_error: bool
    assignment_group: GroupRef | None
    assignee: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_assignee(problem: Problem) -> str | None:
        return _username(problem.assignee)


class ProblemOut(ProblemSummaryOut):
    """One problem with its analysis and the incidents it causes."""

    description: str
    category: CategoryRef | None
    service: CiRef | None
    configuration_items: list[CiRef]
    opened_by: str
    root_cause: str
    workaround: str
    fix: str
    fix_reference: str
    five_whys: list[dict[str, str]]
    timeline: list[dict[str, str]]
    known_error_at: dt.datetime | None
    article: str | None = Field(None, description="The known-error article's number")
    resolution: str
    resolution_notes: str
    duplicate_of: str | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    incidents: list[LinkedIncidentOut]

    @staticmethod
    def resolve_service(problem: Problem) -> dict[str, str] | None:
        return _ci(problem.service)

    @staticmethod
    def resolve_configuration_items(problem: Problem) -> list[dict[str, str] | None]:
        return [_ci(ci) for ci in problem.configuration_items.order_by("number")]

    @staticmethod
    def resolve_opened_by(problem: Problem) -> str:
        return problem.opened_by.username

    @staticmethod
    def resolve_article(problem: Problem) -> str | None:
        return problem.article.number if problem.article is not None else None

    @staticmethod
    def resolve_duplicate_of(problem: Problem) -> str | None:
        return problem.duplicate_of.number if problem.duplicate_of is not None else None

    @staticmethod
    def resolve_incidents(problem: Problem) -> list[dict[str, Any]]:
        links = problem.links.select_related("incident").order_by("incident__number")
        return [
            {
                "number": link.incident.number,
                "short_description": link.incident.short_description,
                "state": link.incident.state,
                "priority": link.incident.priority,
                "linked_at": link.linked_at,
                "automatic": link.automatic,
            }
            for link in links
        ]


class ProblemPage(Schema):
    count: int
    items: list[ProblemSummaryOut]


class NotResolvedOut(Schema):
    number: str
    detail: str


class ResolveOut(Schema):
    problem: ProblemOut
    incidents_resolved: list[str]
    incidents_not_resolved: list[NotResolvedOut]


class TaskOut(Schema):
    number: str
    version: int
    problem: str
    kind: ProblemTaskKind
    title: str
    description: str
    state: ProblemTaskState
    assignment_group: GroupRef | None
    assignee: str | None
    notes: str
    created_at: dt.datetime
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_problem(task: ProblemTask) -> str:
        return task.problem.number

    @staticmethod
    def resolve_assignee(task: ProblemTask) -> str | None:
        return _username(task.assignee)


# --- requests -------------------------------------------------------------------------------


class ProblemFilter(ApiFilterSchema):
    state: list[ProblemState] | None = Field(None, description="Repeatable")
    known_error: bool | None = None
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID, description="Support group id")
    q: str | None = Field(None, max_length=200, description="Words of the text and analysis")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ProblemIn(Strict):
    short_description: str = Field(..., min_length=1, max_length=160)
    description: str = Field("", max_length=MAX_TEXT)
    incidents: list[str] = Field(
        default_factory=list, max_length=200, description="Numbers of the incidents it causes"
    )
    service: str | None = Field(None, max_length=32, description=CI_REF)
    configuration_items: list[str] = Field(default_factory=list, max_length=100)
    category: int | None = Field(None, ge=1, le=MAX_ID)
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID)
    assignee: str | None = Field(None, max_length=150, description="A member's username")
    impact: Impact = Impact.LOW
    urgency: Urgency = Urgency.LOW


class ProblemPatch(Strict):
    version: int = Field(..., ge=1, le=MAX_ID, description="The version you read (409 if stale)")
    short_description: str | None = Field(None, min_length=1, max_length=160)
    description: str | None = Field(None, max_length=MAX_TEXT)
    impact: Impact | None = None
    urgency: Urgency | None = None
    category: int | None = Field(None, ge=1, le=MAX_ID)
    service: str | None = Field(None, max_length=32, description=CI_REF)
    configuration_items: list[str] | None = Field(None, max_length=100)
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID)
    assignee: str | None = Field(None, max_length=150)
    root_cause: str | None = Field(None, max_length=MAX_TEXT)
    workaround: str | None = Field(None, max_length=MAX_TEXT)
    fix: str | None = Field(None, max_length=MAX_TEXT)
    fix_reference: str | None = Field(None, max_length=100)
    five_whys: list[WhyStep] | None = Field(None, max_length=30)
    timeline: list[TimelineStep] | None = Field(None, max_length=30)


class StateIn(Versioned):
    state: Literal["assess", "root_cause_analysis", "fix_in_progress"]


class ProblemResolveIn(Versioned):
    code: ProblemResolution
    notes: str = Field(..., min_length=1, max_length=MAX_TEXT)
    resolve_incidents: bool = Field(
        False, description="Also resolve the open linked incidents (fix applied or risk accepted)"
    )
    duplicate_of: str | None = Field(None, max_length=16, description="For a duplicate")


class ReasonIn(Versioned):
    reason: str = Field(..., min_length=1, max_length=MAX_TEXT)


class LinkIn(Strict):
    incident: str = INCIDENT_NUMBER


class TaskIn(Strict):
    title: str = Field(..., min_length=1, max_length=200)
    kind: ProblemTaskKind = ProblemTaskKind.GENERAL
    description: str = Field("", max_length=MAX_TEXT)
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID)
    assignee: str | None = Field(None, max_length=150)


class TaskAssignIn(Versioned):
    group: int = Field(..., ge=1, le=MAX_ID, description="Support group id")
    assignee: str | None = Field(None, max_length=150, description="A member's username")


class NotesIn(Versioned):
    notes: str = Field(..., min_length=1, max_length=MAX_TEXT)
