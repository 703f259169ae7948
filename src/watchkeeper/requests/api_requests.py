"""Requests over the API: order from the catalog (for oneself, or for someone else; as JSON, or
as multipart with the files of attachment questions), follow one's requests and download their
files, cancel, and — for fulfilers — complete an item."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Form, Query, Router, Schema, Status
from ninja.errors import ValidationError as SchemaError
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests import actions, attachments
from watchkeeper.requests.choices import RequestState
from watchkeeper.requests.models import (
    Approval,
    CatalogItem,
    FulfilmentTask,
    RequestAttachment,
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


class ItemAttachmentOut(Schema):
    id: int
    variable: str = Field(..., description="The question it answers")
    name: str
    content_type: str
    size: int
    sha256: str
    download_url: str

    @staticmethod
    def resolve_download_url(attachment: RequestAttachment) -> str:
        number = attachment.requested_item.request.number
        return f"/api/v1/requests/{number}/attachments/{attachment.pk}"


class RequestedItemOut(Schema):
    position: int
    item_id: int = Field(..., alias="catalog_item_id")
    item: str = Field(..., alias="catalog_item.name")
    quantity: int
    answers: dict[str, Any] = Field(
        ..., description="A file's answer: {name, size, content_type, attachment (its id)}"
    )
    state: str
    fulfilment_group: str | None = Field(None, alias="fulfilment_group.name")
    unit_cost: Decimal | None
    due_at: dt.datetime | None = Field(
        ..., description="The delivery SLA: due by then (set when it enters fulfilment)"
    )
    closed_at: dt.datetime | None
    approvals: list[ItemApprovalOut]
    tasks: list[ItemTaskOut]
    attachments: list[ItemAttachmentOut]

    @staticmethod
    def resolve_approvals(item: Any) -> list[Any]:
        return list(item.approvals.all())  # prefetched by ``_visible``

    @staticmethod
    def resolve_tasks(item: Any) -> list[Any]:
        return list(item.tasks.all())

    @staticmethod
    def resolve_attachments(item: Any) -> list[Any]:
        return list(item.attachments.all())


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
        Prefetch(
            "attachments",
            queryset=RequestAttachment.objects.select_related("requested_item__request"),
        ),
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
    "Every problem is named, e.g. `items.1.answers.size`; nothing is ordered then. Files for "
    "attachment questions go with `POST /requests/with-files`.",
)  # fmt: skip
@requires(P.ORDER)
def order(request: HttpRequest, payload: OrderIn) -> Status[ServiceRequest]:
    answers = [line.answers for line in payload.items]
    return Status(201, _ordered(request, payload, answers))


#: A file's part in a multipart order: ``items.<n>.<question>``.
FILE_PART = re.compile(r"items\.([0-9]{1,3})\.([a-z][a-z0-9_]{0,49})")
MULTIPART = {
    "schema": {
        "type": "object",
        "required": ["payload"],
        "properties": {"payload": {"type": "string", "description": "The order as JSON"}},
        "patternProperties": {
            f"^{FILE_PART.pattern}$": {"type": "string", "format": "binary"},
        },
    }
}


@router.post(
    "/requests/with-files", response={201: RequestOut, **ERRORS}, operation_id="order_with_files",
    description="Order with files, as `multipart/form-data`: the part `payload` holds the order "
    "as JSON (what `POST /requests` takes) and each file is a part named `items.<n>.<question>` "
    "(e.g. `items.1.quote` answers question `quote` of the first item). Files are checked with "
    "the other answers (type, `WATCHKEEPER_ATTACHMENT_MAX_MB`) and stored with the request; "
    "when the order is refused, nothing is kept.",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": MULTIPART}}},
)  # fmt: skip
@requires(P.ORDER)
def order_with_files(request: HttpRequest, payload: Form[str]) -> Status[ServiceRequest]:
    parsed = _order_in(payload)
    answers = _with_files(parsed.items, request.FILES)
    return Status(201, _ordered(request, parsed, answers))


def _ordered(
    request: HttpRequest, payload: OrderIn, answers: Sequence[Mapping[str, Any]]
) -> ServiceRequest:
    user = caller(request)
    recipient = (
        user_named(payload.requested_for, "requested_for") if payload.requested_for else None
    )
    catalog = {item.pk: item for item in CatalogItem.objects.filter(
        pk__in=[line.item for line in payload.items])}  # fmt: skip
    lines = []
    for number, (line, given) in enumerate(zip(payload.items, answers, strict=True), 1):
        if line.item not in catalog:
            raise ValidationError({f"items.{number}.item": "No catalog item has this id."})
        lines.append(actions.Line(catalog[line.item], given, line.quantity))
    ordered = actions.order(
        acting_user=user, lines=lines, requested_for=recipient, channel=Channel.API
    )
    return _one(request, ordered.number)


def _order_in(text: str) -> OrderIn:
    """The ``payload`` part, checked as the JSON body of ``POST /requests`` is (422)."""
    try:
        return OrderIn.model_validate_json(text)
    except pydantic.ValidationError as problem:
        errors = []
        for found in problem.errors(include_url=False):
            error: dict[str, Any] = {**found, "loc": ("body", "payload", *found["loc"])}
            error.pop("input", None)
            error.pop("ctx", None)
            errors.append(error)
        raise SchemaError(errors) from None


def _with_files(lines: Sequence[LineIn], files: Any) -> list[dict[str, Any]]:
    """Each line's answers with its files added (from parts named ``items.<n>.<question>``)."""
    answers = [dict(line.answers) for line in lines]
    errors: dict[str, str] = {}
    for part in files:
        found = FILE_PART.fullmatch(part)
        if found is None:
            errors[part[:60]] = "Name each file items.<n>.<question>, e.g. items.1.quote."
            continue
        number, name = int(found[1]), found[2]
        key = f"items.{number}.answers.{name}"
        if not 1 <= number <= len(lines):
            errors[key] = f"The order has no item {number}."
        elif len(files.getlist(part)) > 1:
            errors[key] = "One file per question."
        elif name in answers[number - 1]:
            errors[key] = "Answered twice: as a file and in the payload."
        else:
            answers[number - 1][name] = files[part]
    if errors:
        raise ValidationError(errors)
    return answers


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


BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}


@router.get(
    "/requests/{number}/attachments/{attachment_id}",
    response={403: ErrorOut, 404: ErrorOut},
    operation_id="download_request_attachment",
    description="A file of the order, as a download: for who may see the request (who ordered "
    "it, who it is for, its approvers, staff).",
    openapi_extra={"responses": {"200": {"description": "The file", **BINARY}}},
)
@requires(P.ORDER)
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    return attachments.download(caller(request), number, attachment_id)


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
