"""Fulfilment tasks over the API: the queue (staff; by age or by when due, the overdue ones),
assigning, completing (fulfilers)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests import actions
from watchkeeper.requests.choices import OPEN_TASK_STATES, TaskState
from watchkeeper.requests.models import FulfilmentTask
from watchkeeper.requests.permissions import RequestPermission as P
from watchkeeper.requests.queries import TASK_SORTS, overdue_tasks, task_rows

router = Router(tags=["requests"])
ERRORS: dict[int, Any] = {
    400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut,
}  # fmt: skip


class TaskOut(Schema):
    number: str
    request: str = Field(..., alias="requested_item.request.number")
    position: int = Field(..., alias="requested_item.position")
    item: str = Field(..., alias="requested_item.catalog_item.name")
    requested_for: str = Field(..., alias="requested_item.request.requested_for.username")
    stage: int
    title: str
    instructions: str
    answers: dict[str, Any]
    group: str | None = Field(None, alias="group.name")
    assigned_to: str | None = Field(None, alias="assigned_to.username")
    state: str
    due_at: dt.datetime | None = Field(
        None, alias="requested_item.due_at", description="When the item's delivery is due"
    )
    created_at: dt.datetime
    closed_at: dt.datetime | None
    version: int


class TaskFilters(Schema):
    state: TaskState | None = None
    open: bool | None = Field(None, description="true: open or in progress")
    overdue: bool | None = Field(
        None, description="true: open tasks of items past their delivery time; false: the rest"
    )
    group: int | None = Field(None, description="A group's id")
    assigned_to: str = Field("", max_length=150, description="A username")
    sort: Literal["created", "due"] = Field(
        "created", description="created: oldest first; due: soonest due first (none last)"
    )


class AssignIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    assigned_to: str = Field(..., min_length=1, max_length=150, description="A username")
    version: int | None = None


class CompleteTaskIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field("", max_length=5_000)
    version: int | None = None


def _task(number: str) -> FulfilmentTask:
    return get_object_or_404(task_rows(), number=number.upper())


@router.get("/tasks", response=list[TaskOut], operation_id="list_tasks")
@requires(P.VIEW_ALL)
@paginate(Pagination)
def list_tasks(request: HttpRequest, filters: Query[TaskFilters]) -> QuerySet[FulfilmentTask]:
    """Fulfilment tasks, oldest first (a queue), or the soonest due first."""
    rows = task_rows()
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.open is not None:
        opened = rows.filter(state__in=OPEN_TASK_STATES)
        rows = opened if filters.open else rows.exclude(state__in=OPEN_TASK_STATES)
    if filters.overdue is not None:
        late = overdue_tasks()
        rows = rows.filter(pk__in=late) if filters.overdue else rows.exclude(pk__in=late)
    if filters.group is not None:
        rows = rows.filter(group_id=filters.group)
    if filters.assigned_to:
        rows = rows.filter(assigned_to__username=filters.assigned_to)
    return rows.order_by(*TASK_SORTS[filters.sort])


@router.get("/tasks/{number}", response={200: TaskOut, **ERRORS}, operation_id="get_task")
@requires(P.VIEW_ALL)
def get_task(request: HttpRequest, number: str) -> FulfilmentTask:
    return _task(number)


@router.post(
    "/tasks/{number}/assign", response={200: TaskOut, **ERRORS}, operation_id="assign_task"
)
@requires(P.FULFIL)
def assign_task(request: HttpRequest, number: str, payload: AssignIn) -> FulfilmentTask:
    actions.assign_task(
        _task(number), acting_user=caller(request),
        assignee=user_named(payload.assigned_to, "assigned_to"),
        expected_version=payload.version, channel=Channel.API,
    )  # fmt: skip
    return _task(number)


@router.post(
    "/tasks/{number}/complete",
    response={200: TaskOut, **ERRORS},
    operation_id="complete_task",
    description="The next stage's tasks open; with the item's last task, the item is complete.",
)
@requires(P.FULFIL)
def complete_task(request: HttpRequest, number: str, payload: CompleteTaskIn) -> FulfilmentTask:
    actions.complete_task(
        _task(number), acting_user=caller(request), notes=payload.notes,
        expected_version=payload.version, channel=Channel.API,
    )  # fmt: skip
    return _task(number)
