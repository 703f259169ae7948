"""Requests over the API: order from the catalog (for oneself, or for someone else), follow
one's requests, cancel, and — for fulfilers — complete an item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests import actions
from watchkeeper.requests.choices import RequestState
from watchkeeper.requests.models import (
    Approval,
    CatalogItem,
    FulfilmentTask,
    RequestedItem,
    ServiceRequest,
)
from watchkeeper.requests.permissions import RequestPermission as P

router = Router(tags=["requests"])
ERRORS: dict[int, Any] = {
    400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut,
}  # fmt: skip


class LineIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    item: int = Field(..., ge=1, le=2**63 - 1, description="The catalog item's id")
    quantity: int = Field(1, ge=1, le=actions.MAX_QUANTITY)
    answers: dict[str, Any] = Field(default_factory=dict, description="By variable name")


class OrderIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    requested_for: str = Field("", max_length=150, description="Username (default: yourself)")
    items: list[LineIn] = Field(..., min_length=1, max_length=actions.MAX_LINES)


class CancelIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=2_000)
    version: int | None = Field(None, description="The version you saw (409 if it changed)")


class CompleteIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field("", max_length=5_000)
    version: int | None = None


class ItemApprovalOut(Schema):
    id: int
    level: int
    approver: str = Field(..., alias="approver.username")
    state: str
    comment: str
    decided_at: dt.datetime | None


class ItemTaskOut(Schema):
    number: str
    stage: int
    title: str
    group: str | None = Field(None, alias="group.name")
    assigned_to: str | None = Field(None, alias="assigned_to.username")
    state: str


class RequestedItemOut(Schema):
    position: int
    item_id: int = Field(..., alias="catalog_item_id")
    item: str = Field(..., alias="catalog_item.name")
    quantity: int
    answers: dict[str, Any]
    state: str
    fulfilment_group: str | None = Field(None, alias="fulfilment_group.name")
    unit_cost: Decimal | None
    closed_at: dt.datetime | None
    approvals: list[ItemApprovalOut]
    tasks: list[ItemTaskOut]

    @staticmethod
    def resolve_approvals(item: Any) -> list[Any]:
        return list(item.approvals.all())  # prefetched by ``_visible``

    @staticmethod
    def resolve_tasks(item: Any) -> list[Any]:
        return list(item.tasks.all())


class RequestOut(Schema):
    number: str
    state: str
    short_description: str
    requested_by: str = Field(..., alias="requested_by.username")
    requested_for: str = Field(..., alias="requested_for.username")
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    version: int
    items: list[RequestedItemOut]

    @staticmethod
    def resolve_items(request: ServiceRequest) -> list[Any]:
        return list(request.items.all())


class RequestFilters(Schema):
    state: RequestState | None = None
    open: bool | None = Field(None, description="true: open ones; false: closed ones")


#: What a request's answer shows, fetched once for a whole page of requests.
ITEMS = Prefetch(
    "items",
    queryset=RequestedItem.objects.select_related("catalog_item", "fulfilment_group")
    .prefetch_related(
        Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
        Prefetch("tasks", queryset=FulfilmentTask.objects.select_related("group", "assigned_to")),
    )
    .order_by("position"),
)


def _visible(request: HttpRequest) -> QuerySet[ServiceRequest]:
    rows = ServiceRequest.objects.restrict(caller(request))
    return rows.select_related("requested_by", "requested_for").prefetch_related(ITEMS)


def _one(request: HttpRequest, number: str) -> ServiceRequest:
    return get_object_or_404(_visible(request), number=number.upper())


@router.post(
    "/requests", response={201: RequestOut, **ERRORS}, operation_id="order",
    description="Order catalog items (the answers as for `POST /catalog/items/{id}/check`). "
    "Every problem is named, e.g. `items.1.answers.size`; nothing is ordered then.",
)  # fmt: skip
@requires(P.ORDER)
def order(request: HttpRequest, payload: OrderIn) -> Status[ServiceRequest]:
    user = caller(request)
    recipient = (
        user_named(payload.requested_for, "requested_for") if payload.requested_for else None
    )
    catalog = {item.pk: item for item in CatalogItem.objects.filter(
        pk__in=[line.item for line in payload.items])}  # fmt: skip
    lines = []
    for number, line in enumerate(payload.items, 1):
        if line.item not in catalog:
            raise ValidationError({f"items.{number}.item": "No catalog item has this id."})
        lines.append(actions.Line(catalog[line.item], line.answers, line.quantity))
    ordered = actions.order(
        acting_user=user, lines=lines, requested_for=recipient, channel=Channel.API
    )
    return Status(201, _one(request, ordered.number))


@router.get("/requests", response=list[RequestOut], operation_id="list_requests")
@requires(P.ORDER)
@paginate(Pagination)
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> QuerySet[ServiceRequest]:
    """Yours (ordered by you or for you); staff see every request. Newest first."""
    rows = _visible(request)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.open is not None:
        rows = (
            rows.filter(state=RequestState.OPEN)
            if filters.open
            else rows.exclude(state=RequestState.OPEN)
        )
    return rows.order_by("-created_at", "-pk")


@router.get("/requests/{number}", response={200: RequestOut, **ERRORS}, operation_id="get_request")
@requires(P.ORDER)
def get_request(request: HttpRequest, number: str) -> ServiceRequest:
    return _one(request, number)


@router.post(
    "/requests/{number}/cancel",
    response={200: RequestOut, **ERRORS},
    operation_id="cancel_request",
    description="Cancels the items still open: for who ordered it, who it is for, fulfilers.",
)
@requires(P.ORDER)
def cancel_request(request: HttpRequest, number: str, payload: CancelIn) -> ServiceRequest:
    actions.cancel(
        _one(request, number), acting_user=caller(request), reason=payload.reason,
        expected_version=payload.version, channel=Channel.API,
    )  # fmt: skip
    return _one(request, number)


@router.post(
    "/requests/{number}/items/{position}/complete",
    response={200: RequestOut, **ERRORS},
    operation_id="complete_requested_item",
    description="A fulfiler marks one item delivered (`requests.fulfil`).",
)
@requires(P.FULFIL)
def complete_item(
    request: HttpRequest, number: str, position: int, payload: CompleteIn
) -> ServiceRequest:
    actions.complete_item(
        _one(request, number), position, acting_user=caller(request), notes=payload.notes,
        expected_version=payload.version, channel=Channel.API,
    )  # fmt: skip
    return _one(request, number)
