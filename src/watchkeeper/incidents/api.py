"""The incidents API, ``/api/v1/incidents``: list, create, read, update and every lifecycle action.

Endpoints only translate: they find the records the request names, call the actions in
``incidents.actions`` (which check permissions, the state machine and the version) and answer
the incident as it is now. Rows a caller may not see answer 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from watchkeeper.core import search
from watchkeeper.core.api import (
    COUNT_LIMIT,
    SEARCH_COUNT_LIMIT,
    caller,
    capped_count,
    requires,
)
from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions
from watchkeeper.incidents.api_schemas import (
    ActivityOut,
    AssignIn,
    AttachmentOut,
    BodyIn,
    CommentOut,
    ConflictOut,
    ErrorOut,
    HoldIn,
    IncidentFilter,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    MajorIn,
    MajorUpdateIn,
    MajorUpdateOut,
    PriorityIn,
    ReasonIn,
    ResolveIn,
    ReviewIn,
    ReviewOut,
    TagsIn,
    Versioned,
    WatchListIn,
)
from watchkeeper.incidents.api_support import (
    activity_stream,
    after_cursor,
    can_work,
    check_version,
    detail,
    encode_cursor,
    filtered,
    fresh,
    group_with_id,
    listed,
    ordering,
    reference_values,
    user_named,
    users_named,
    visible,
)
from watchkeeper.incidents.downloads import attachment_response
from watchkeeper.incidents.models import Attachment, Incident, MajorIncidentUpdate
from watchkeeper.incidents.permissions import IncidentPermission as P

router = Router(tags=["incidents"])
API = Channel.API
#: The errors every operation on one incident may answer.
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
VERSIONED_ERRORS: dict[int, Any] = {**ERRORS, 409: ConflictOut}
ONE = {200: IncidentOut, **VERSIONED_ERRORS}
PATH = "/incidents/{number}"

LIST_DESCRIPTION = f"""
The incidents the caller may see (a requester: those they called in or watch), newest first.

**Filters:** `state` (repeatable), `priority`, `assignment_group` (id), `assignee` and `caller`
(usernames), `service` and `configuration_item` (number or id), `is_major`,
`opened_after`/`opened_before` and `updated_after`/`updated_before` (ISO 8601; without a time zone,
UTC), `q` (words of the number, descriptions and comments). An unknown user, group or CI is a 400.

**Sorting:** `sort` is one of `number`, `created_at`, `updated_at`, `priority`, each optionally
prefixed with `-` for descending (default `-created_at`); the id breaks ties.

**Pagination:** `limit` (1-500, default 50) with `offset` for the first pages, or the keyset
`cursor` for deep ones: every page answers `next_cursor` (null on the last page); pass it back
as `?cursor=…` with the same filters and sort to get the next page. A cursor page costs the same
at page 1 and page 1,000, and does not skip or repeat rows when incidents are added meanwhile.
`count` is the total on offset pages, counted up to {COUNT_LIMIT:,} (with `q`, up to
{SEARCH_COUNT_LIMIT:,}; then `count_capped` is true: there are more), and null on cursor pages;
counting is what gets slow on large tables.
"""


def _one(request: HttpRequest, number: str) -> Incident:
    return detail(caller(request), number)


@router.get(
    "/incidents",
    response={200: IncidentPage, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    operation_id="list_incidents",
    summary="List incidents",
    description=LIST_DESCRIPTION,
)
@requires(P.REPORT)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]) -> dict[str, Any]:
    user = caller(request)
    incidents = filtered(listed(user), filters)
    if filters.cursor and filters.offset:
        raise ValidationError({"offset": "Use either offset or cursor, not both."})
    count: int | None = None
    capped = False
    if filters.q and not incidents.query.where:
        # Nothing narrows the search but the words: the index alone counts the matches.
        matches = search.count_matches(Incident, filters.q, SEARCH_COUNT_LIMIT + 1)
        count, capped = min(matches, SEARCH_COUNT_LIMIT), matches > SEARCH_COUNT_LIMIT
        incidents = search.matching(incidents, filters.q, matches=matches)
    elif filters.q:
        incidents = search.matching(incidents, filters.q)
        count, capped = capped_count(incidents, SEARCH_COUNT_LIMIT)
    incidents = incidents.order_by(*ordering(filters.sort))
    if filters.cursor:
        count, capped = None, False
        incidents = after_cursor(incidents, filters.sort, filters.cursor)
    elif count is None:
        count, capped = capped_count(incidents)
    start = 0 if filters.cursor else filters.offset
    rows = list(incidents[start : start + filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = encode_cursor(filters.sort, rows[-1]) if more else None
    return {"count": count, "count_capped": capped, "next_cursor": next_cursor, "items": rows}


def _creation_fields(payload: IncidentIn, user: Any) -> dict[str, Any]:
    data = payload.dict()
    for name in ("short_description", "caller", "channel", "watch_list", "tags"):
        data.pop(name)
    fields = {name: value for name, value in data.items() if value not in (None, "")}
    if "priority_override_reason" in fields and "priority" not in fields:
        raise ValidationError({"priority_override_reason": "Give it with a priority override."})
    return reference_values(fields, user)


@router.post(
    "/incidents",
    response={201: IncidentOut, **ERRORS},
    operation_id="create_incident",
    summary="Report an incident",
    description="Requesters report for themselves with the caller's fields (short and long "
    "description, category, subcategory, service, configuration item, urgency); the service desk "
    "may also name the caller, the channel, impact, assignment, watch list, tags, a parent and "
    "(incident managers) a priority override with its reason.",
)
@requires(P.REPORT)
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[Incident]:
    user = caller(request)
    if payload.channel != API and not can_work(user):
        raise PermissionDenied("channel: only the service desk records phone, walk-in or e-mail.")
    incident = actions.create_incident(
        caller=user_named(payload.caller, "caller") if payload.caller else user,
        short_description=payload.short_description,
        acting_user=user,
        channel=payload.channel,
        watch_list=users_named(payload.watch_list, "watch_list"),
        tags=payload.tags,
        **_creation_fields(payload, user),
    )
    return Status(201, fresh(user, incident))


@router.get(PATH, response={200: IncidentOut, **ERRORS}, operation_id="get_incident")
@requires(P.REPORT)
def get_incident(request: HttpRequest, number: str) -> Incident:
    return _one(request, number)


@router.get(
    f"{PATH}/activity",
    response={200: list[ActivityOut], **ERRORS},
    operation_id="list_incident_activity",
    description="Comments, work notes (staff only) and history entries, oldest first.",
)
@requires(P.REPORT)
def list_incident_activity(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = caller(request)
    return activity_stream(user, visible(user, number))


NOT_NULL = ("short_description", "description", "impact", "urgency")


@router.patch(
    PATH,
    response=ONE,
    operation_id="update_incident",
    description="Change fields; `version` must be the one you read (else 409). Setting "
    "`category`, `subcategory`, `service`, `configuration_item` or `parent` to null clears it. "
    "Children are one level deep: the `parent` must be open and not itself a child, and an "
    "incident with children cannot get a parent (400 naming `parent`).",
)
@requires(P.WORK)
def update_incident(request: HttpRequest, number: str, payload: IncidentPatch) -> Incident:
    user = caller(request)
    incident = visible(user, number)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    if not values:
        raise ValidationError("Send at least one field to change besides version.")
    nulls = [name for name in NOT_NULL if name in values and values[name] is None]
    if nulls:
        raise ValidationError({name: "This field cannot be null." for name in nulls})
    actions.update_incident(
        incident,
        acting_user=user,
        channel=API,
        expected_version=version,
        **reference_values(values, user),
    )
    return _one(request, number)


@router.post(f"{PATH}/assign", response=ONE, operation_id="assign_incident")
@requires(P.WORK)
def assign_incident(request: HttpRequest, number: str, payload: AssignIn) -> Incident:
    user = caller(request)
    incident = visible(user, number)
    group = group_with_id(payload.group, "group") if payload.group is not None else None
    assignee = user_named(payload.assignee, "assignee") if payload.assignee else None
    actions.assign(
        incident,
        group=group,
        assignee=assignee,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.post(f"{PATH}/start", response=ONE, operation_id="start_incident_work")
@requires(P.WORK)
def start_incident_work(request: HttpRequest, number: str, payload: Versioned) -> Incident:
    user = caller(request)
    actions.start_work(
        visible(user, number), acting_user=user, channel=API, expected_version=payload.version
    )
    return _one(request, number)


@router.post(f"{PATH}/hold", response=ONE, operation_id="hold_incident")
@requires(P.WORK)
def hold_incident(request: HttpRequest, number: str, payload: HoldIn) -> Incident:
    user = caller(request)
    actions.put_on_hold(
        visible(user, number),
        reason=payload.reason,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.post(f"{PATH}/resolve", response=ONE, operation_id="resolve_incident")
@requires(P.WORK)
def resolve_incident(request: HttpRequest, number: str, payload: ResolveIn) -> Incident:
    user = caller(request)
    actions.resolve(
        visible(user, number),
        code=payload.code,
        notes=payload.notes,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.post(
    f"{PATH}/reopen",
    response=ONE,
    operation_id="reopen_incident",
    description="The caller rejects the resolution, or the service desk reopens.",
)
@requires(P.REPORT)
def reopen_incident(request: HttpRequest, number: str, payload: ReasonIn) -> Incident:
    user = caller(request)
    actions.reopen(
        visible(user, number),
        reason=payload.reason,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.post(
    f"{PATH}/close",
    response=ONE,
    operation_id="close_incident",
    description="The caller confirms the resolution, or the service desk closes.",
)
@requires(P.REPORT)
def close_incident(request: HttpRequest, number: str, payload: Versioned) -> Incident:
    user = caller(request)
    actions.close(
        visible(user, number), acting_user=user, channel=API, expected_version=payload.version
    )
    return _one(request, number)


@router.post(f"{PATH}/cancel", response=ONE, operation_id="cancel_incident")
@requires(P.REPORT)
def cancel_incident(request: HttpRequest, number: str, payload: ReasonIn) -> Incident:
    user = caller(request)
    actions.cancel(
        visible(user, number),
        reason=payload.reason,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


def _comment_out(activity: Any) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "type": activity.kind,
        "author": activity.author.username,
        "body": activity.body,
        "body_html": activity.body_html,
        "created_at": activity.created_at,
    }


@router.post(
    f"{PATH}/comments",
    response={201: CommentOut, **VERSIONED_ERRORS},
    operation_id="add_incident_comment",
    description="A comment the caller sees (and is e-mailed).",
)
@requires(P.REPORT)
def add_incident_comment(
    request: HttpRequest, number: str, payload: BodyIn
) -> Status[dict[str, Any]]:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    activity = actions.add_comment(incident, body=payload.body, acting_user=user, channel=API)
    return Status(201, _comment_out(activity))


@router.post(
    f"{PATH}/work-notes",
    response={201: CommentOut, **VERSIONED_ERRORS},
    operation_id="add_incident_work_note",
    description="An internal note: never shown, e-mailed or searchable for the caller.",
)
@requires(P.WORK)
def add_incident_work_note(
    request: HttpRequest, number: str, payload: BodyIn
) -> Status[dict[str, Any]]:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    activity = actions.add_work_note(incident, body=payload.body, acting_user=user, channel=API)
    return Status(201, _comment_out(activity))


@router.post(
    f"{PATH}/attachments",
    response={201: AttachmentOut, **VERSIONED_ERRORS},
    operation_id="add_incident_attachment",
    description="Upload a file (multipart field `file`); `internal` files are staff only.",
)
@requires(P.REPORT)
def add_incident_attachment(
    request: HttpRequest,
    number: str,
    file: File[UploadedFile],
    internal: Form[bool] = False,
    version: Form[int | None] = None,
) -> Status[Attachment]:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, version)
    attachment = actions.add_attachment(
        incident, upload=file, acting_user=user, internal=internal, channel=API
    )
    return Status(201, attachment)


BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}


@router.get(
    f"{PATH}/attachments/{{attachment_id}}",
    response={403: ErrorOut, 404: ErrorOut},
    operation_id="download_incident_attachment",
    description="The file, as a download. Internal files only for staff.",
    openapi_extra={"responses": {"200": {"description": "The file", **BINARY}}},
)
@requires(P.REPORT)
def download_incident_attachment(
    request: HttpRequest, number: str, attachment_id: int
) -> FileResponse:
    visible(caller(request), number)  # an unknown or invisible incident: 404 before anything
    return attachment_response(caller(request), number, attachment_id)


@router.post(f"{PATH}/priority", response=ONE, operation_id="override_incident_priority")
@requires(P.OVERRIDE_PRIORITY)
def override_incident_priority(request: HttpRequest, number: str, payload: PriorityIn) -> Incident:
    user = caller(request)
    actions.override_priority(
        visible(user, number),
        priority=payload.priority,
        reason=payload.reason,
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.put(
    f"{PATH}/watch-list",
    response=ONE,
    operation_id="set_incident_watch_list",
    description="Replace the watch list with these usernames.",
)
@requires(P.WORK)
def set_incident_watch_list(request: HttpRequest, number: str, payload: WatchListIn) -> Incident:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    people = users_named(payload.usernames, "usernames")
    actions.set_watch_list(incident, people, acting_user=user, channel=API)
    return _one(request, number)


@router.put(
    f"{PATH}/tags",
    response=ONE,
    operation_id="set_incident_tags",
    description="Replace the tags with these names (created when new).",
)
@requires(P.WORK)
def set_incident_tags(request: HttpRequest, number: str, payload: TagsIn) -> Incident:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    actions.set_tags(incident, payload.names, acting_user=user, channel=API)
    return _one(request, number)


RELATED = f"{PATH}/related/{{other}}"


@router.post(
    RELATED,
    response=ONE,
    operation_id="relate_incidents",
    summary="Relate two incidents",
    description="Record that `number` and `other` are related (symmetric: each then lists the "
    "other in `related`); both get a history entry. 400 if they are already related or the same; "
    "404 if either does not exist. Answers the incident `number`.",
)
@requires(P.WORK)
def relate_incidents(request: HttpRequest, number: str, other: str) -> Incident:
    user = caller(request)
    actions.relate(visible(user, number), visible(user, other), acting_user=user, channel=API)
    return _one(request, number)


@router.delete(
    RELATED,
    response=ONE,
    operation_id="unrelate_incidents",
    summary="Remove the relation between two incidents",
    description="Both incidents get a history entry. 400 if they are not related.",
)
@requires(P.WORK)
def unrelate_incidents(request: HttpRequest, number: str, other: str) -> Incident:
    user = caller(request)
    actions.unrelate(visible(user, number), visible(user, other), acting_user=user, channel=API)
    return _one(request, number)


@router.post(f"{PATH}/major", response=ONE, operation_id="declare_major_incident")
@requires(P.DECLARE_MAJOR)
def declare_major_incident(request: HttpRequest, number: str, payload: MajorIn) -> Incident:
    user = caller(request)
    actions.declare_major(
        visible(user, number),
        reason=payload.reason,
        manager=user_named(payload.manager, "manager"),
        acting_user=user,
        channel=API,
        expected_version=payload.version,
    )
    return _one(request, number)


@router.post(
    f"{PATH}/major/updates",
    response={201: MajorUpdateOut, **VERSIONED_ERRORS},
    operation_id="post_major_incident_update",
    description="Log a stakeholder update; it is e-mailed to the recipients and the watch list.",
)
@requires(P.WORK)
def post_major_incident_update(
    request: HttpRequest, number: str, payload: MajorUpdateIn
) -> Status[MajorIncidentUpdate]:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    update = actions.post_major_update(
        incident, body=payload.body, recipients=payload.recipients, acting_user=user, channel=API
    )
    return Status(201, update)


@router.put(
    f"{PATH}/review",
    response={200: ReviewOut, **VERSIONED_ERRORS},
    operation_id="save_incident_review",
    description="Edit the post-incident review of a major incident; `complete` needs every "
    "section filled in (a major incident closes only after its review is complete).",
)
@requires(P.WORK)
def save_incident_review(request: HttpRequest, number: str, payload: ReviewIn) -> Any:
    user = caller(request)
    incident = visible(user, number)
    check_version(incident, payload.version)
    sections = payload.dict(exclude_unset=True, exclude={"version", "complete"})
    sections = {name: value for name, value in sections.items() if value is not None}
    return actions.save_review(
        incident, acting_user=user, complete=payload.complete, channel=API, **sections
    )
