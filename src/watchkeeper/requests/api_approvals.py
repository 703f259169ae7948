"""Approvals over the API: what waits for the caller's decision (theirs, or as a delegate),
approving or rejecting, and delegating one's approvals while away."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests import actions, delegation
from watchkeeper.requests.choices import ApprovalState
from watchkeeper.requests.delegation import delegators_of
from watchkeeper.requests.models import Approval, ApprovalDelegation
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
    note: str = Field(..., description="Why it is asked beyond the item's policy, if it is")
    approver: str = Field(..., alias="approver.username")
    decided_by: str | None = Field(None, alias="decided_by.username")
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
    """Asked of the caller, or of someone whose delegate they are today."""
    related = (
        "requested_item__request__requested_for", "requested_item__request__requested_by",
        "requested_item__catalog_item", "approver", "decided_by",
    )  # fmt: skip
    user = caller(request)
    approvers = [user.pk, *delegators_of(user)]
    return Approval.objects.filter(approver_id__in=approvers).select_related(*related)


class DelegationIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    delegate: str = Field(..., min_length=1, max_length=150, description="A username")
    starts_on: dt.date
    ends_on: dt.date
    reason: str = Field("", max_length=300)


class DelegationOut(Schema):
    id: int
    user: str = Field(..., alias="user.username")
    delegate: str = Field(..., alias="delegate.username")
    starts_on: dt.date
    ends_on: dt.date
    reason: str


@router.get(
    "/approvals/delegations",
    response=list[DelegationOut],
    operation_id="list_my_delegations",
)
@requires(P.ORDER)
def list_delegations(request: HttpRequest) -> QuerySet[ApprovalDelegation]:
    """Delegations you gave and received that have not ended."""
    user = caller(request)
    rows = ApprovalDelegation.objects.filter(Q(user=user) | Q(delegate=user))
    current = rows.filter(ends_on__gte=timezone.localdate())
    return current.select_related("user", "delegate").order_by("starts_on", "pk")


@router.post(
    "/approvals/delegations",
    response={201: DelegationOut, **ERRORS},
    operation_id="delegate_approvals",
    description="While you are away (from `starts_on` to `ends_on`, both included), "
    "`delegate` may decide the approvals asked of you, and is e-mailed about new ones.",
)
@requires(P.ORDER)
def create_delegation(request: HttpRequest, payload: DelegationIn) -> Status[ApprovalDelegation]:
    made = delegation.delegate(
        acting_user=caller(request), to=user_named(payload.delegate, "delegate"),
        starts_on=payload.starts_on, ends_on=payload.ends_on, reason=payload.reason,
    )  # fmt: skip
    return Status(201, made)


@router.delete(
    "/approvals/delegations/{delegation_id}",
    response={204: None, **ERRORS},
    operation_id="withdraw_delegation",
)
@requires(P.ORDER)
def delete_delegation(request: HttpRequest, delegation_id: int) -> Status[None]:
    given = ApprovalDelegation.objects.filter(user=caller(request))
    delegation.withdraw(get_object_or_404(given, pk=delegation_id), acting_user=caller(request))
    return Status(204, None)


@router.get("/approvals", response=list[ApprovalOut], operation_id="list_my_approvals")
@requires(P.ORDER)
@paginate(Pagination)
def list_approvals(request: HttpRequest, filters: Query[ApprovalFilters]) -> QuerySet[Approval]:
    """The approvals you were asked for, or that you may decide as a delegate (default: those
    waiting), oldest first."""
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
