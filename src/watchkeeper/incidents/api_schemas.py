"""Request and response schemas of the incidents API (``incidents.api``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from watchkeeper.core.api import MAX_ID, MAX_OFFSET, ApiFilterSchema, ApiSchema
from watchkeeper.incidents.actions.conversation import MAX_BODY
from watchkeeper.incidents.actions.major import REVIEW_FIELDS
from watchkeeper.incidents.choices import (
    HoldReason,
    Impact,
    IncidentState,
    Priority,
    ResolutionCode,
    Urgency,
)
from watchkeeper.incidents.models import Attachment, Incident

USERNAME = Field(..., min_length=1, max_length=150)
#: A configuration item (or service) by its number (``CI0000012``) or its id.
CI_REF = "A configuration item's number (CI0000012) or id"
Sort = Literal[
    "number", "-number", "created_at", "-created_at", "updated_at", "-updated_at",
    "priority", "-priority",
]  # fmt: skip
#: A tag: letters, digits, hyphens and underscores (a slug), at most 50 characters.
TagName = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[-\w]+$")]
CreateChannel = Literal["api", "phone", "walk_in", "email"]


class Strict(ApiSchema):
    """A body that refuses fields it does not know (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


# --- responses ------------------------------------------------------------------------------


class GroupRef(Schema):
    id: int
    name: str


class CiRef(Schema):
    number: str
    name: str


class CategoryRef(Schema):
    id: int
    name: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    internal: bool
    uploaded_by: str
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_uploaded_by(attachment: Attachment) -> str:
        return attachment.uploaded_by.username

    @staticmethod
    def resolve_download_url(attachment: Attachment) -> str:
        number = attachment.incident.number
        return f"/api/v1/incidents/{number}/attachments/{attachment.pk}"


class ReviewOut(Schema):
    summary: str
    timeline: str
    root_cause: str
    lessons_learned: str
    follow_up_actions: str
    completed_at: dt.datetime | None
    completed_by: str | None

    @staticmethod
    def resolve_completed_by(review: Any) -> str | None:
        return review.completed_by.username if review.completed_by else None


class MajorUpdateOut(Schema):
    id: int
    author: str
    body: str
    recipients: list[str]
    created_at: dt.datetime

    @staticmethod
    def resolve_author(update: Any) -> str:
        return update.author.username


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _ci(ci: Any) -> dict[str, str] | None:
    return {"number": ci.number, "name": ci.name} if ci is not None else None


class IncidentSummaryOut(Schema):
    """An incident in a list: what a queue shows."""

    number: str
    version: int
    state: IncidentState
    hold_reason: str
    priority: int
    impact: int
    urgency: int
    short_description: str
    channel: str
    caller: str
    assignment_group: GroupRef | None
    assignee: str | None
    service: CiRef | None
    configuration_item: CiRef | None
    is_major: bool
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_caller(incident: Incident) -> str:
        return incident.caller.username

    @staticmethod
    def resolve_assignee(incident: Incident) -> str | None:
        return _username(incident.assignee)

    @staticmethod
    def resolve_service(incident: Incident) -> dict[str, str] | None:
        return _ci(incident.service)

    @staticmethod
    def resolve_configuration_item(incident: Incident) -> dict[str, str] | None:
        return _ci(incident.configuration_item)

    @staticmethod
    def resolve_tags(incident: Incident) -> list[str]:
        return sorted(tag.name for tag in incident.tags.all())


class IncidentOut(IncidentSummaryOut):
    """One incident with everything the caller may see of it."""

    description: str
    category: CategoryRef | None
    subcategory: CategoryRef | None
    opened_by: str | None
    priority_override_reason: str
    watch_list: list[str]
    parent: str | None
    children: list[str]
    related: list[str] = Field(
        default_factory=list, description="Numbers of the related incidents you may see"
    )
    resolution_code: str
    resolution_notes: str
    resolved_by: str | None
    first_contact_resolution: bool
    reopen_count: int
    reassignment_count: int
    major_reason: str
    major_manager: str | None
    major_declared_at: dt.datetime | None
    first_response_at: dt.datetime | None
    assigned_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    comment_count: int
    work_note_count: int | None = Field(None, description="Staff only; null for requesters")
    attachment_count: int
    attachments: list[AttachmentOut]
    review: ReviewOut | None = Field(None, description="Staff only, for major incidents")
    major_updates: list[MajorUpdateOut] = Field(
        default_factory=list, description="Staff only: the major incident's communication log"
    )

    @staticmethod
    def resolve_opened_by(incident: Incident) -> str | None:
        return _username(incident.opened_by)

    @staticmethod
    def resolve_resolved_by(incident: Incident) -> str | None:
        return _username(incident.resolved_by)

    @staticmethod
    def resolve_major_manager(incident: Incident) -> str | None:
        return _username(incident.major_manager)

    @staticmethod
    def resolve_watch_list(incident: Incident) -> list[str]:
        return sorted(user.username for user in incident.watch_list.all())

    @staticmethod
    def resolve_parent(incident: Incident) -> str | None:
        return incident.visible_parent  # type: ignore[attr-defined]

    @staticmethod
    def resolve_children(incident: Incident) -> list[str]:
        return sorted(child.number for child in incident.children.all())

    @staticmethod
    def resolve_related(incident: Incident) -> list[str]:
        return sorted(other.number for other in incident.related.all())

    @staticmethod
    def resolve_attachments(incident: Incident) -> list[Attachment]:
        return list(incident.visible_attachments)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_review(incident: Incident) -> Any:
        return incident.staff_review  # type: ignore[attr-defined]

    @staticmethod
    def resolve_major_updates(incident: Incident) -> list[Any]:
        return list(incident.staff_major_updates)  # type: ignore[attr-defined]


class IncidentPage(Schema):
    count: int | None = Field(
        ..., description="Rows matching the filters (at most 10,000); null on cursor pages"
    )
    count_capped: bool = Field(
        False, description="True when more rows match than `count` says: counting stopped"
    )
    next_cursor: str | None = Field(
        ..., description="Pass as ?cursor= for the next page; null on the last page"
    )
    items: list[IncidentSummaryOut]


class ActivityOut(Schema):
    type: Literal["comment", "work_note", "history"]
    at: dt.datetime
    author: str
    channel: str
    body: str | None = None
    body_html: str | None = None
    action: str | None = None
    changes: dict[str, Any] | None = None


class CommentOut(Schema):
    id: int
    type: str
    author: str
    body: str
    body_html: str
    created_at: dt.datetime


class ErrorOut(Schema):
    detail: str


class ConflictOut(ErrorOut):
    current_version: int | None


# --- requests -------------------------------------------------------------------------------


class IncidentFilter(ApiFilterSchema):
    state: list[IncidentState] | None = Field(None, description="Repeatable: ?state=new&state=…")
    priority: Priority | None = None
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID, description="Support group id")
    assignee: str | None = Field(None, max_length=150, description="Username")
    caller: str | None = Field(None, max_length=150, description="Username")
    service: str | None = Field(None, max_length=32, description=CI_REF)
    configuration_item: str | None = Field(None, max_length=32, description=CI_REF)
    is_major: bool | None = None
    opened_after: dt.datetime | None = None
    opened_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    q: str | None = Field(None, max_length=200, description="Words in the number, text, comments")
    sort: Sort = "-created_at"
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    cursor: str | None = Field(
        None, max_length=500, description="The next_cursor of the previous page (keyset paging)"
    )

    @field_validator("opened_after", "opened_before", "updated_after", "updated_before")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        """A date without a time zone is read as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class IncidentIn(Strict):
    short_description: str = Field(..., min_length=1, max_length=160)
    description: str = Field("", max_length=MAX_BODY)
    category: int | None = Field(None, ge=1, le=MAX_ID, description="Category id")
    subcategory: int | None = Field(None, ge=1, le=MAX_ID, description="Subcategory id")
    service: str | None = Field(None, max_length=32, description=CI_REF)
    configuration_item: str | None = Field(None, max_length=32, description=CI_REF)
    urgency: Urgency | None = None
    impact: Impact | None = Field(None, description="Staff only")
    caller: str | None = Field(
        None, max_length=150, description="Staff only: the caller's username (default: you)"
    )
    channel: CreateChannel = Field("api", description="Staff may say phone, walk_in or email")
    assignment_group: int | None = Field(None, ge=1, le=MAX_ID, description="Staff only")
    assignee: str | None = Field(None, max_length=150, description="Staff only: a username")
    priority: Priority | None = Field(None, description="Staff only: override the matrix")
    priority_override_reason: str | None = Field(None, max_length=500)
    parent: str | None = Field(None, max_length=16, description="Staff only: parent's number")
    watch_list: list[str] = Field(default_factory=list, max_length=200, description="Usernames")
    tags: list[TagName] = Field(default_factory=list, max_length=50)


class IncidentPatch(Strict):
    version: int = Field(..., ge=1, le=MAX_ID, description="The version you read (409 if stale)")
    short_description: str | None = Field(None, min_length=1, max_length=160)
    description: str | None = Field(None, max_length=MAX_BODY)
    category: int | None = Field(None, ge=1, le=MAX_ID)
    subcategory: int | None = Field(None, ge=1, le=MAX_ID)
    service: str | None = Field(None, max_length=32, description=CI_REF)
    configuration_item: str | None = Field(None, max_length=32, description=CI_REF)
    impact: Impact | None = None
    urgency: Urgency | None = None
    parent: str | None = Field(None, max_length=16, description="Parent's number; null for none")


class Versioned(Strict):
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="The version you read; a stale one answers 409"
    )


class AssignIn(Versioned):
    group: int | None = Field(..., ge=1, le=MAX_ID, description="Support group id, or null")
    assignee: str | None = Field(None, max_length=150, description="A member's username")


class HoldIn(Versioned):
    reason: HoldReason


class ResolveIn(Versioned):
    code: ResolutionCode
    notes: str = Field(..., min_length=1, max_length=MAX_BODY)


class ReasonIn(Versioned):
    reason: str = Field(..., min_length=1, max_length=2000)


class BodyIn(Versioned):
    body: str = Field(..., min_length=1, max_length=MAX_BODY)


class PriorityIn(Versioned):
    priority: Priority
    reason: str = Field(..., min_length=1, max_length=500)


class WatchListIn(Versioned):
    usernames: list[str] = Field(..., max_length=200)


class TagsIn(Versioned):
    names: list[TagName] = Field(..., max_length=50)


class MajorIn(Versioned):
    reason: str = Field(..., min_length=1, max_length=2000)
    manager: str = Field(..., min_length=1, max_length=150, description="Username")


class MajorUpdateIn(Versioned):
    body: str = Field(..., min_length=1, max_length=MAX_BODY)
    recipients: list[str] = Field(default_factory=list, max_length=200)


class ReviewIn(Versioned):
    summary: str | None = Field(None, max_length=MAX_BODY)
    timeline: str | None = Field(None, max_length=MAX_BODY)
    root_cause: str | None = Field(None, max_length=MAX_BODY)
    lessons_learned: str | None = Field(None, max_length=MAX_BODY)
    follow_up_actions: str | None = Field(None, max_length=MAX_BODY)
    complete: bool = False


assert set(REVIEW_FIELDS) <= set(ReviewIn.model_fields)
