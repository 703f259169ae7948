"""Approvals over the API: what waits for the caller's decision, and approving or rejecting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.requests import actions
from watchkeeper.requests.choices import ApprovalState
from watchkeeper.requests.models import Approval
from watchkeeper.requests.permissions import RequestPermission as P

router = Router(tags=["requests"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ApprovalOut(Schema):
    id: int
    request: str = Field(..., alias="requested_item.request.number")
    position: int = Field(..., alias="requested_item.position")
    item: str = Field(..., alias="requested_item.catalog_item.name")
    requested_for: str = Field(..., alias="requested_item.request.requested_for.username")
    requested_by: str = Field(..., alias="requested_item.request.requested_by.username")
    answers: dict[str, Any] = Field(..., alias="requested_item.answers")
    level: int
    rule: str
    approver: str = Field(..., alias="approver.username")
    state: str
    comment: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class DecisionIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=5_000, description="Required to reject")


class ApprovalFilters(Schema):
    state: ApprovalState | None = Field(ApprovalState.REQUESTED, description="Default: waiting")


def _mine(request: HttpRequest) -> QuerySet[Approval]:
    related = (
        "requested_item__request__requested_for", "requested_item__request__requested_by",
        "requested_item__catalog_item", "approver",
    )  # fmt: skip
    return Approval.objects.filter(approver=caller(request)).select_related(*related)


@router.get("/approvals", response=list[ApprovalOut], operation_id="list_my_approvals")
@requires(P.ORDER)
@paginate(Pagination)
def list_approvals(request: HttpRequest, filters: Query[ApprovalFilters]) -> QuerySet[Approval]:
    """The approvals you were asked for (default: those waiting for you), oldest first."""
    rows = _mine(request)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return rows.order_by("created_at", "pk")


def _decide(request: HttpRequest, approval_id: int, approve: bool, comment: str) -> Approval:
    approval = get_object_or_404(_mine(request), pk=approval_id)
    actions.decide_approval(
        approval, acting_user=caller(request), approve=approve, comment=comment,
        channel=Channel.API,
    )  # fmt: skip
    return _mine(request).get(pk=approval_id)


@router.post(
    "/approvals/{approval_id}/approve",
    response={200: ApprovalOut, **ERRORS},
    operation_id="approve",
)
@requires(P.ORDER)
def approve(request: HttpRequest, approval_id: int, payload: DecisionIn) -> Approval:
    return _decide(request, approval_id, True, payload.comment)


@router.post(
    "/approvals/{approval_id}/reject",
    response={200: ApprovalOut, **ERRORS},
    operation_id="reject",
    description="A rejected item is never fulfilled; say why in `comment`.",
)
@requires(P.ORDER)
def reject(request: HttpRequest, approval_id: int, payload: DecisionIn) -> Approval:
    return _decide(request, approval_id, False, payload.comment)
