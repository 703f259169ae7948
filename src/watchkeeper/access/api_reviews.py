"""Access review campaigns over the API: starting, reading and closing campaigns, each
reviewer's decisions, the report and the CSV and PDF evidence, and the schedules that start
campaigns. Readers of the register see every campaign; a reviewer the campaigns they review in,
and only their own items there."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.access import review_report, review_schedules, reviews
from watchkeeper.access.choices import ReviewDecision, ReviewState
from watchkeeper.access.models import AccessReview, ReviewItem, ReviewSchedule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.cmdb.lookup import ci_for_field
from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests.permissions import RequestPermission

router = Router(tags=["access reviews"])
ERRORS: dict[int, Any] = {
    400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut,
}  # fmt: skip
READ_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
#: Everyone may call these; what each may see or do is decided per campaign.
ANYONE = RequestPermission.ORDER
PATH = "/access/reviews/{number}"
Systems = list[str]


def _file(media_type: str) -> dict[str, Any]:
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {"200": {"description": "The evidence (a download)", "content": content}}}


class ReviewOut(Schema):
    number: str
    name: str
    state: ReviewState
    systems: Systems = Field(..., description="CI numbers; empty: every system")
    due_on: dt.date
    started_by: str | None = Field(None, alias="started_by.username")
    schedule: str | None = Field(None, alias="schedule.name")
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None = Field(None, alias="closed_by.username")
    items: int = Field(..., alias="item_count", description="Grants in the campaign (yours)")
    pending: int = Field(..., alias="pending_count", description="Of them, not yet reviewed")
    version: int

    @staticmethod
    def resolve_systems(obj: AccessReview) -> list[str]:
        return [system.number for system in obj.systems.all()]


class ItemOut(Schema):
    id: int
    campaign: str = Field(..., alias="review.number")
    entitlement: str = Field(..., alias="entitlement.number")
    system: str = Field(..., alias="entitlement.role.system.name")
    role: str = Field(..., alias="entitlement.role.name")
    holder: str = Field(..., alias="entitlement.holder.username")
    granted_at: dt.datetime = Field(..., alias="entitlement.created_at")
    expires_on: dt.date | None = Field(None, alias="entitlement.expires_on")
    entitlement_state: str = Field(..., alias="entitlement.state")
    reviewer: str = Field(..., alias="reviewer.username")
    decision: ReviewDecision
    comment: str
    decided_by: str | None = Field(None, alias="decided_by.username")
    decided_at: dt.datetime | None
    reminded_at: dt.datetime | None


class ReviewerOut(Schema):
    reviewer: str
    done: int
    total: int


class ReportOut(Schema):
    review: ReviewOut
    total: int
    confirmed: int
    revoked: int
    not_reviewed: int
    completion_percent: int
    reviewers: list[ReviewerOut]


class StartIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200, examples=["ERP Q3 2026"])
    systems: Systems = Field([], max_length=500, description="CI numbers; empty: every system")
    due_on: dt.date


class DecisionIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "revoke"]
    comment: str = Field("", max_length=2_000, description="Required to revoke")


class CloseIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, description="The version you saw (409 if it changed)")


class ReviewFilters(Schema):
    state: ReviewState | None = None


class ItemFilters(Schema):
    reviewer: str = Field("", max_length=150, description='"me" or a username')
    decision: ReviewDecision | None = None


class ScheduleOut(Schema):
    id: int
    name: str
    systems: Systems
    every_months: int
    days_to_complete: int
    next_on: dt.date
    is_active: bool

    @staticmethod
    def resolve_systems(obj: ReviewSchedule) -> list[str]:
        return [system.number for system in obj.systems.all()]


class ScheduleIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200, examples=["ERP quarterly"])
    systems: Systems = Field([], max_length=500, description="CI numbers; empty: every system")
    every_months: int = Field(3, ge=1, le=120)
    days_to_complete: int = Field(14, ge=0, le=366)
    next_on: dt.date = Field(..., description="The day the next campaign starts")
    is_active: bool = True


class SchedulePatch(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    systems: Systems | None = Field(None, max_length=500)
    every_months: int | None = Field(None, ge=1, le=120)
    days_to_complete: int | None = Field(None, ge=0, le=366)
    next_on: dt.date | None = None
    is_active: bool | None = None


def _review(request: HttpRequest, number: str) -> AccessReview:
    user = caller(request)
    found = reviews.review_for(user, number)
    one = reviews.with_counts(AccessReview.objects.filter(pk=found.pk), user)
    return one.select_related("started_by", "closed_by", "schedule").prefetch_related("systems")[0]


def _systems(numbers: list[str]) -> list[Any]:
    return [ci_for_field(number, "systems") for number in dict.fromkeys(numbers)]


@router.get("/access/reviews", response=list[ReviewOut], operation_id="list_access_reviews")
@requires(ANYONE)
@paginate(Pagination)
def list_access_reviews(
    request: HttpRequest, filters: Query[ReviewFilters]
) -> QuerySet[AccessReview]:
    """Campaigns, newest first: all for readers of the register, else those you review in."""
    user = caller(request)
    rows = reviews.with_counts(reviews.reviews_for(user), user).prefetch_related("systems")
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return rows.order_by("-created_at", "-pk")


@router.post(
    "/access/reviews",
    response={201: ReviewOut, **ERRORS},
    operation_id="start_access_review",
    description="Starts a campaign over every active grant on the systems (access managers).",
)
@requires(AccessPermission.MANAGE)
def start_access_review(request: HttpRequest, payload: StartIn) -> Status[AccessReview]:
    started = reviews.start(
        payload.name, _systems(payload.systems), payload.due_on, caller(request),
        channel=Channel.API,
    )  # fmt: skip
    return Status(201, _review(request, started.number))


@router.get(PATH, response={200: ReviewOut, **READ_ERRORS}, operation_id="get_access_review")
@requires(ANYONE)
def get_access_review(request: HttpRequest, number: str) -> AccessReview:
    return _review(request, number)


@router.get(
    f"{PATH}/items",
    response={200: list[ItemOut], **READ_ERRORS},
    operation_id="list_access_review_items",
    description="A campaign's grants and their decisions (a reviewer sees only theirs).",
)
@requires(ANYONE)
@paginate(Pagination)
def list_access_review_items(
    request: HttpRequest, number: str, filters: Query[ItemFilters]
) -> QuerySet[ReviewItem]:
    user = caller(request)
    items = reviews.items_for(reviews.review_for(user, number), user)
    if filters.reviewer:
        who = user if filters.reviewer == "me" else user_named(filters.reviewer, "reviewer")
        items = items.filter(reviewer=who)
    if filters.decision is not None:
        items = items.filter(decision=filters.decision)
    return items


@router.post(
    f"{PATH}/items/{{item_id}}/decision",
    response={200: ItemOut, **ERRORS},
    operation_id="decide_access_review_item",
    description="Confirm or revoke one grant (its reviewer, or an access manager for them). "
    "Revoking ends the grant at once and needs a comment.",
)
@requires(ANYONE)
def decide_access_review_item(
    request: HttpRequest, number: str, item_id: int, payload: DecisionIn
) -> ReviewItem:
    user = caller(request)
    review = reviews.review_for(user, number)
    item = get_object_or_404(review.items.all(), pk=min(item_id, 2**63 - 1))
    reviews.decide(item, user, payload.decision == "confirm", payload.comment, channel=Channel.API)
    return get_object_or_404(reviews.items_for(review, user), pk=item.pk)


@router.post(
    f"{PATH}/close",
    response={200: ReviewOut, **ERRORS},
    operation_id="close_access_review",
    description="Closes a campaign (access managers); undecided grants stay not reviewed.",
)
@requires(AccessPermission.MANAGE)
def close_access_review(request: HttpRequest, number: str, payload: CloseIn) -> AccessReview:
    review = reviews.review_for(caller(request), number)
    reviews.close(review, caller(request), expected_version=payload.version, channel=Channel.API)
    return _review(request, number)


@router.get(
    f"{PATH}/report", response={200: ReportOut, **READ_ERRORS}, operation_id="access_review_report"
)
@requires(ANYONE)
def access_review_report(request: HttpRequest, number: str) -> dict[str, Any]:
    """Decisions counted, each reviewer's progress, completion (a reviewer: their part)."""
    user = caller(request)
    review = _review(request, number)
    counts = review_report.summary(reviews.items_for(review, user))
    return {
        "review": review, "total": counts.total, "confirmed": counts.confirmed,
        "revoked": counts.revoked, "not_reviewed": counts.not_reviewed,
        "completion_percent": counts.completion, "reviewers": counts.reviewers,
    }  # fmt: skip


@router.get(
    f"{PATH}/export.csv",
    response=READ_ERRORS,
    operation_id="export_access_review_csv",
    description="One row per grant: the campaign, the grant, its review and its state now.",
    openapi_extra=_file("text/csv"),
)
@requires(ANYONE)
def export_access_review_csv(request: HttpRequest, number: str) -> HttpResponse:
    user = caller(request)
    review = reviews.review_for(user, number)
    return review_report.csv_download(review, reviews.items_for(review, user))


@router.get(
    f"{PATH}/export.pdf",
    response=READ_ERRORS,
    operation_id="export_access_review_pdf",
    description="The campaign's facts, summary and rows as a PDF, with who generated it when.",
    openapi_extra=_file("application/pdf"),
)
@requires(ANYONE)
def export_access_review_pdf(request: HttpRequest, number: str) -> HttpResponse:
    user = caller(request)
    review = reviews.review_for(user, number)
    return review_report.pdf_download(review, reviews.items_for(review, user), user)


# --- schedules ------------------------------------------------------------------------------


@router.get(
    "/access/review-schedules",
    response=list[ScheduleOut],
    operation_id="list_access_review_schedules",
)
@requires(AccessPermission.VIEW_REGISTER)
def list_access_review_schedules(request: HttpRequest) -> QuerySet[ReviewSchedule]:
    """The schedules that start a campaign every so many months."""
    return ReviewSchedule.objects.prefetch_related("systems").order_by("name")


@router.post(
    "/access/review-schedules",
    response={201: ScheduleOut, **ERRORS},
    operation_id="create_access_review_schedule",
)
@requires(AccessPermission.MANAGE)
def create_access_review_schedule(
    request: HttpRequest, payload: ScheduleIn
) -> Status[ReviewSchedule]:
    values = {**payload.model_dump(), "systems": _systems(payload.systems)}
    return Status(201, review_schedules.save_schedule(None, values, caller(request), Channel.API))


@router.patch(
    "/access/review-schedules/{schedule_id}",
    response={200: ScheduleOut, **ERRORS},
    operation_id="update_access_review_schedule",
)
@requires(AccessPermission.MANAGE)
def update_access_review_schedule(
    request: HttpRequest, schedule_id: int, payload: SchedulePatch
) -> ReviewSchedule:
    schedule = get_object_or_404(ReviewSchedule, pk=min(schedule_id, 2**63 - 1))
    values = payload.model_dump(exclude_unset=True)
    for field, value in values.items():
        if value is None:
            raise ValidationError({field: "Leave it out to keep it; it cannot be empty."})
    if "systems" in values:
        values["systems"] = _systems(values["systems"])
    return review_schedules.save_schedule(schedule, values, caller(request), Channel.API)
