"""The problems API, ``/api/v1/problems``: list, open, read, edit (with the analysis), move
through the lifecycle, link incidents, work tasks and mark known errors.

Endpoints only translate: they find what the request names and call ``problems.actions``,
which check permissions, the state machine and the version. Problems are the staff's: anyone
without ``problems.view`` gets 403 everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from watchkeeper.core import search
from watchkeeper.core.api import caller, capped_count, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut, Versioned
from watchkeeper.incidents.api_support import (
    category_with_id,
    configuration_item,
    group_with_id,
    user_named,
)
from watchkeeper.incidents.models import Incident
from watchkeeper.problems import actions
from watchkeeper.problems._common import visible_problems
from watchkeeper.problems.api_schemas import (
    LinkIn,
    NotesIn,
    ProblemFilter,
    ProblemIn,
    ProblemOut,
    ProblemPage,
    ProblemPatch,
    ProblemResolveIn,
    ReasonIn,
    ResolveOut,
    StateIn,
    TaskAssignIn,
    TaskIn,
    TaskOut,
)
from watchkeeper.problems.models import Problem, ProblemTask
from watchkeeper.problems.permissions import ProblemPermission as P

router = Router(tags=["problems"])
API = Channel.API
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
VERSIONED_ERRORS: dict[int, Any] = {**ERRORS, 409: ConflictOut}
ONE = {200: ProblemOut, **VERSIONED_ERRORS}
TASK = {200: TaskOut, **VERSIONED_ERRORS}
PATH = "/problems/{number}"
TASK_PATH = "/problem-tasks/{number}"
INCIDENT = re.compile(r"^INC\d{1,12}$")


def _problem(request: HttpRequest, number: str) -> Problem:
    found = visible_problems(caller(request)).filter(number=number.upper()).first()
    if found is None:
        raise Http404(number)
    return found


def _task(request: HttpRequest, number: str) -> ProblemTask:
    problems = visible_problems(caller(request))
    found = ProblemTask.objects.filter(problem__in=problems, number=number.upper()).first()
    if found is None:
        raise Http404(number)
    return found


def incidents_named(numbers: list[str], field: str) -> list[Incident]:
    """The incidents by number, in the order given; an unknown one is a 400 naming it."""
    wanted = [n.strip().upper() for n in dict.fromkeys(numbers)]
    bad = [n for n in wanted if not INCIDENT.fullmatch(n)]
    found = {i.number: i for i in Incident.objects.filter(number__in=wanted)}
    missing = bad + [n for n in wanted if n not in found and n not in bad]
    if missing:
        raise ValidationError({field: f"No incident {', '.join(m[:16] for m in missing)}."})
    return [found[n] for n in wanted]


def _references(data: dict[str, Any]) -> dict[str, Any]:
    """The API's ids, numbers and usernames in ``data`` as records, in place."""
    lookups = {
        "category": category_with_id,
        "service": configuration_item,
        "assignment_group": group_with_id,
        "assignee": user_named,
    }
    for name, lookup in lookups.items():
        if data.get(name) is not None:
            data[name] = lookup(data[name], name)  # type: ignore[operator]
    if data.get("configuration_items") is not None:
        refs = data["configuration_items"]
        data["configuration_items"] = [configuration_item(r, "configuration_items") for r in refs]
    return data


@router.get(
    "/problems",
    response={200: ProblemPage, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    operation_id="list_problems",
    summary="List problems",
    description="Newest first. Filters: `state` (repeatable), `known_error`, `assignment_group` "
    "(id), `q` (words of the number, descriptions, root cause, workaround and fix). "
    "`limit` (1-500) and `offset` page; `count` is counted up to 10,000.",
)
@requires(P.VIEW)
def list_problems(request: HttpRequest, filters: Query[ProblemFilter]) -> dict[str, Any]:
    problems: QuerySet[Problem] = visible_problems(caller(request))
    if filters.state:
        problems = problems.filter(state__in=filters.state)
    if filters.known_error is not None:
        problems = problems.filter(known_error=filters.known_error)
    if filters.assignment_group is not None:
        problems = problems.filter(assignment_group_id=filters.assignment_group)
    if filters.q:
        problems = search.matching(problems, filters.q)
    problems = problems.order_by("-created_at", "-pk")
    count, _ = capped_count(problems)
    rows = problems.select_related("assignment_group", "assignee")
    return {"count": count, "items": list(rows[filters.offset : filters.offset + filters.limit])}


@router.post(
    "/problems",
    response={201: ProblemOut, **ERRORS},
    operation_id="create_problem",
    summary="Open a problem",
    description="With the incidents it causes (each may belong to one problem only: 400 naming "
    "it). Without `service` or `configuration_items`, the incidents' become the problem's.",
)
@requires(P.WORK)
def create_problem(request: HttpRequest, payload: ProblemIn) -> Status[Problem]:
    data = _references(payload.dict())
    problem = actions.create_problem(
        acting_user=caller(request),
        short_description=data["short_description"],
        description=data["description"],
        incidents=incidents_named(data["incidents"], "incidents"),
        service=data["service"],
        configuration_items=data["configuration_items"],
        category=data["category"],
        assignment_group=data["assignment_group"],
        assignee=data["assignee"],
        impact=data["impact"],
        urgency=data["urgency"],
        channel=API,
    )
    return Status(201, _problem(request, problem.number))


@router.get(PATH, response={200: ProblemOut, **ERRORS}, operation_id="get_problem")
@requires(P.VIEW)
def get_problem(request: HttpRequest, number: str) -> Problem:
    return _problem(request, number)


@router.patch(
    PATH,
    response=ONE,
    operation_id="update_problem",
    description="Change fields and the analysis (`root_cause`, `workaround`, `fix`, "
    "`fix_reference`, `five_whys` as `[{why, because}]`, `timeline` as `[{at, text}]`); "
    "`version` must be the one you read (else 409). A known error's new workaround is "
    "published to its article again.",
)
@requires(P.WORK)
def update_problem(request: HttpRequest, number: str, payload: ProblemPatch) -> Problem:
    problem = _problem(request, number)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    if not values:
        raise ValidationError("Send at least one field to change besides version.")
    for name in ("short_description", "impact", "urgency", "configuration_items"):
        if name in values and values[name] is None:
            raise ValidationError({name: "This field cannot be null."})
    for name in ("five_whys", "timeline"):
        if values.get(name) is None and name in values:
            values[name] = []
    if "timeline" in values:
        values["timeline"] = [{**s, "at": s["at"].isoformat()} for s in values["timeline"]]
    actions.update_problem(
        problem,
        acting_user=caller(request),
        channel=API,
        expected_version=version,
        **_references(values),
    )
    return _problem(request, number)


@router.post(
    f"{PATH}/state",
    response=ONE,
    operation_id="move_problem",
    description="Move between Assess, Root cause analysis and Fix in progress.",
)
@requires(P.WORK)
def move_problem(request: HttpRequest, number: str, payload: StateIn) -> Problem:
    actions.move_problem(
        _problem(request, number),
        state=payload.state,
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )
    return _problem(request, number)


@router.post(
    f"{PATH}/resolve",
    response={200: ResolveOut, **VERSIONED_ERRORS},
    operation_id="resolve_problem",
    description="Resolve with a code and notes. With `resolve_incidents`, each open linked "
    "incident is resolved too (Solved permanently for a fix applied, Solved (workaround) for a "
    "risk accepted); those that could not be are listed with why, and stay open.",
)
@requires(P.WORK)
def resolve_problem(request: HttpRequest, number: str, payload: ProblemResolveIn) -> Any:
    duplicate = _problem(request, payload.duplicate_of) if payload.duplicate_of else None
    outcome = actions.resolve_problem(
        _problem(request, number),
        code=payload.code,
        notes=payload.notes,
        acting_user=caller(request),
        resolve_incidents=payload.resolve_incidents,
        duplicate_of=duplicate,
        channel=API,
        expected_version=payload.version,
    )
    return {
        "problem": _problem(request, number),
        "incidents_resolved": outcome.resolved,
        "incidents_not_resolved": [{"number": n, "detail": d} for n, d in outcome.not_resolved],
    }


@router.post(
    f"{PATH}/close",
    response=ONE,
    operation_id="close_problem",
    description="Problem managers close a resolved problem whose tasks are done.",
)
@requires(P.MANAGE)
def close_problem(request: HttpRequest, number: str, payload: Versioned) -> Problem:
    actions.close_problem(
        _problem(request, number),
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )
    return _problem(request, number)


@router.post(
    f"{PATH}/reopen",
    response=ONE,
    operation_id="reopen_problem",
    description="Back to root cause analysis from Resolved, with a reason.",
)
@requires(P.WORK)
def reopen_problem(request: HttpRequest, number: str, payload: ReasonIn) -> Problem:
    actions.reopen_problem(
        _problem(request, number),
        reason=payload.reason,
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )
    return _problem(request, number)


@router.post(
    f"{PATH}/known-error",
    response=ONE,
    operation_id="mark_known_error",
    description="Needs a root cause and a workaround (400 naming the missing one); publishes "
    "the known-error article to agents.",
)
@requires(P.WORK)
def mark_known_error(request: HttpRequest, number: str, payload: Versioned) -> Problem:
    actions.mark_known_error(
        _problem(request, number), caller(request), channel=API, expected_version=payload.version
    )
    return _problem(request, number)


@router.post(
    f"{PATH}/incidents", response={201: ProblemOut, **ERRORS}, operation_id="link_problem_incident"
)
@requires(P.WORK)
def link_incident(request: HttpRequest, number: str, payload: LinkIn) -> Status[Problem]:
    (incident,) = incidents_named([payload.incident], "incident")
    actions.link_incident(
        _problem(request, number), incident, acting_user=caller(request), channel=API
    )
    return Status(201, _problem(request, number))


@router.delete(
    f"{PATH}/incidents/{{incident}}", response=ONE, operation_id="unlink_problem_incident"
)
@requires(P.WORK)
def unlink_incident(request: HttpRequest, number: str, incident: str) -> Problem:
    (found,) = incidents_named([incident], "incident")
    actions.unlink_incident(
        _problem(request, number), found, acting_user=caller(request), channel=API
    )
    return _problem(request, number)


@router.get(
    f"{PATH}/tasks", response={200: list[TaskOut], **ERRORS}, operation_id="list_problem_tasks"
)
@requires(P.VIEW)
def list_tasks(request: HttpRequest, number: str) -> Any:
    problem = _problem(request, number)
    return problem.tasks.select_related("problem", "assignment_group", "assignee")


@router.post(f"{PATH}/tasks", response={201: TaskOut, **ERRORS}, operation_id="create_problem_task")
@requires(P.WORK)
def create_task(request: HttpRequest, number: str, payload: TaskIn) -> Status[ProblemTask]:
    data = _references(payload.dict())
    task = actions.create_task(
        _problem(request, number),
        title=data["title"],
        kind=data["kind"],
        description=data["description"],
        assignment_group=data["assignment_group"],
        assignee=data["assignee"],
        acting_user=caller(request),
        channel=API,
    )
    return Status(201, task)


@router.get(TASK_PATH, response={200: TaskOut, **ERRORS}, operation_id="get_problem_task")
@requires(P.VIEW)
def get_task(request: HttpRequest, number: str) -> ProblemTask:
    return _task(request, number)


@router.post(f"{TASK_PATH}/assign", response=TASK, operation_id="assign_problem_task")
@requires(P.WORK)
def assign_task(request: HttpRequest, number: str, payload: TaskAssignIn) -> ProblemTask:
    task = _task(request, number)
    assignee = user_named(payload.assignee, "assignee") if payload.assignee else None
    return actions.assign_task(
        task,
        group=group_with_id(payload.group, "group"),
        assignee=assignee,
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )


@router.post(f"{TASK_PATH}/start", response=TASK, operation_id="start_problem_task")
@requires(P.WORK)
def start_task(request: HttpRequest, number: str, payload: Versioned) -> ProblemTask:
    return actions.start_task(
        _task(request, number),
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )


@router.post(f"{TASK_PATH}/complete", response=TASK, operation_id="complete_problem_task")
@requires(P.WORK)
def complete_task(request: HttpRequest, number: str, payload: NotesIn) -> ProblemTask:
    return actions.complete_task(
        _task(request, number),
        notes=payload.notes,
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )


@router.post(f"{TASK_PATH}/cancel", response=TASK, operation_id="cancel_problem_task")
@requires(P.WORK)
def cancel_task(request: HttpRequest, number: str, payload: ReasonIn) -> ProblemTask:
    return actions.cancel_task(
        _task(request, number),
        reason=payload.reason,
        acting_user=caller(request),
        channel=API,
        expected_version=payload.version,
    )
