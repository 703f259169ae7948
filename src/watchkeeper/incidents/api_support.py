"""What the incidents API's endpoints share: finding records by name, keyset paging, visibility."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.lookup import ci_for_field
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.api import MAX_ID
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.models import (
    Activity,
    Attachment,
    Category,
    Incident,
    MajorIncidentUpdate,
)
from watchkeeper.incidents.permissions import IncidentPermission

NUMBER_PATTERN = re.compile(r"^INC\d{1,12}$")
USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,150}$")
#: History a requester sees in the activity stream; anything else (work notes, internal files,
#: the review, stakeholder updates, actions added later) stays with the staff.
#: The fields of a history entry a caller may see; others (parent, watch list, overrides…) may
#: name other people's incidents or internal reasoning.
CALLER_VISIBLE_FIELDS = frozenset(
    {
        "caller",
        "short_description",
        "description",
        "channel",
        "category",
        "subcategory",
        "service",
        "configuration_item",
        "impact",
        "urgency",
        "priority",
        "state",
        "hold_reason",
        "assignment_group",
        "assignee",
        "resolution_code",
        "resolution_notes",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "comment",
        "attachment",
    }
)
PUBLIC_HISTORY = frozenset(
    {
        "created",
        "updated",
        "assigned",
        "work_started",
        "put_on_hold",
        "resolved",
        "reopened",
        "closed",
        "canceled",
        "attachment_added",
        "priority_overridden",
        "major_declared",
    }
)
#: Activities appear as themselves in the stream, not as their history entries too.
ACTIVITY_HISTORY = frozenset({"comment_added", "work_note_added"})


def sees_internal(user: Any) -> bool:
    """Work notes and internal attachments: for those who read every incident, never requesters."""
    return bool(user.has_perm(IncidentPermission.VIEW_ALL))


def can_work(user: Any) -> bool:
    return bool(user.has_perm(IncidentPermission.WORK))


# --- finding records by what the API names them ---------------------------------------------


def user_named(username: str, field: str) -> User:
    user = None
    if USERNAME_PATTERN.fullmatch(username):
        user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({field: f"No user named {username[:150]!r}."})
    return user


def users_named(usernames: list[str], field: str) -> list[User]:
    return [user_named(name, field) for name in dict.fromkeys(usernames)]


def group_with_id(group_id: int, field: str) -> SupportGroup:
    group = SupportGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise ValidationError({field: f"No support group with id {group_id}."})
    return group


def category_with_id(category_id: int, field: str) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationError({field: f"No category with id {category_id}."})
    return category


def configuration_item(reference: str, field: str) -> ConfigurationItem:
    """A CI by number (``CI0000012``) or id."""
    return ci_for_field(reference, field)


def parent_incident(number: str, user: Any) -> Incident:
    found = None
    if NUMBER_PATTERN.fullmatch(number.strip().upper()):
        found = Incident.objects.restrict(user).filter(number=number.strip().upper()).first()
    if found is None:
        raise ValidationError({"parent": f"No incident {number[:16]!r}."})
    return found


def reference_values(data: dict[str, Any], user: Any) -> dict[str, Any]:
    """Turn the API's references (ids, numbers, usernames) in ``data`` into records, in place."""
    lookups = {
        "category": category_with_id,
        "subcategory": category_with_id,
        "service": configuration_item,
        "configuration_item": configuration_item,
        "assignment_group": group_with_id,
        "assignee": user_named,
    }
    for field, lookup in lookups.items():
        if data.get(field) is not None:
            data[field] = lookup(data[field], field)  # type: ignore[operator]
    if data.get("parent") is not None:
        data["parent"] = parent_incident(data["parent"], user)
    return data


def visible(user: Any, number: str) -> Incident:
    """The incident ``number`` if ``user`` may see it; 404 otherwise (never saying it exists)."""
    if not NUMBER_PATTERN.fullmatch(number):
        raise Http404
    incident = Incident.objects.restrict(user).filter(number=number).first()
    if incident is None:
        raise Http404
    return incident


def check_version(incident: Incident, version: int | None) -> None:
    """For actions that do not bump the version themselves: refuse a stale one all the same."""
    if version is not None and version != incident.version:
        raise Conflict(
            f"{incident.number} was changed by someone else (version {incident.version}, you "
            f"had {version}). Reload it and try again.",
            current_version=incident.version,
        )


# --- loading for the answers ----------------------------------------------------------------

LIST_RELATED = ("caller", "assignee", "assignment_group", "service", "configuration_item")


def listed(user: Any) -> QuerySet[Incident]:
    return Incident.objects.restrict(user).select_related(*LIST_RELATED).prefetch_related("tags")


def fresh(user: Any, incident: Incident) -> Incident:
    """A just-created incident, ready for ``IncidentOut`` without re-reading what is known.

    It has no children, related incidents, attachments, activity, review or updates yet; only
    its tags and watch list are read. This halves the cost of ``POST /incidents``."""
    prefetch_related_objects([incident], "tags", "watch_list")
    incident._prefetched_objects_cache.update(  # type: ignore[attr-defined]
        {"children": Incident.objects.none(), "related": Incident.objects.none()}
    )
    incident.visible_attachments = []  # type: ignore[attr-defined]
    incident.comment_count = 0  # type: ignore[attr-defined]
    incident.work_note_count = 0 if sees_internal(user) else None  # type: ignore[attr-defined]
    incident.attachment_count = 0  # type: ignore[attr-defined]
    parent = incident.parent
    incident.visible_parent = parent.number if parent is not None else None  # type: ignore[attr-defined]
    incident.staff_review = None  # type: ignore[attr-defined]
    incident.staff_major_updates = []  # type: ignore[attr-defined]
    return incident


def detail(user: Any, number: str) -> Incident:
    """The incident with everything ``IncidentOut`` shows, in a fixed number of queries."""
    pk = visible(user, number).pk
    internal = sees_internal(user)
    attachments = Attachment.objects.select_related("uploaded_by", "incident")
    if not internal:
        attachments = attachments.filter(internal=False)
    # Parent, children and related incidents: only those the user may see (a requester's
    # incident may be linked to other people's).
    linked = Incident.objects.restrict(user)
    incident = (
        Incident.objects.select_related(
            *LIST_RELATED,
            "opened_by",
            "resolved_by",
            "major_manager",
            "parent",
            "category",
            "subcategory",
        )
        .prefetch_related(
            "tags",
            "watch_list",
            # order_by(): without it SQLite walks the created_at index to sort (66 ms at 100k)
            # instead of looking the few children up by parent.
            Prefetch("children", linked.only("pk", "number", "parent_id").order_by()),
            Prefetch("related", linked.only("pk", "number").order_by()),
            Prefetch("attachments", attachments, to_attr="visible_attachments"),
        )
        .get(pk=pk)
    )
    counts = dict(
        Activity.objects.filter(incident=incident)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    incident.comment_count = counts.get(ActivityKind.COMMENT, 0)  # type: ignore[attr-defined]
    incident.work_note_count = (  # type: ignore[attr-defined]
        counts.get(ActivityKind.WORK_NOTE, 0) if internal else None
    )
    incident.attachment_count = len(incident.visible_attachments)  # type: ignore[attr-defined]
    parent = incident.parent
    shown = parent is not None and (internal or linked.filter(pk=parent.pk).exists())
    incident.visible_parent = parent.number if shown else None  # type: ignore[attr-defined, union-attr]
    review = getattr(incident, "review", None) if internal else None
    incident.staff_review = review  # type: ignore[attr-defined]
    updates = MajorIncidentUpdate.objects.filter(incident=incident).select_related("author")
    incident.staff_major_updates = (  # type: ignore[attr-defined]
        list(updates) if internal and incident.is_major else []
    )
    return incident


def activity_stream(user: Any, incident: Incident) -> list[dict[str, Any]]:
    """Comments, work notes (staff only) and history, oldest first."""
    internal = sees_internal(user)
    activities = Activity.objects.filter(incident=incident).select_related("author")
    if not internal:
        activities = activities.filter(kind=ActivityKind.COMMENT)
    items: list[dict[str, Any]] = [
        {
            "type": activity.kind,
            "at": activity.created_at,
            "author": activity.author.username,
            "channel": activity.channel,
            "body": activity.body,
            "body_html": activity.body_html,
        }
        for activity in activities
    ]
    entries = history_of(incident).exclude(action__in=ACTIVITY_HISTORY)
    if not internal:
        entries = entries.filter(action__in=PUBLIC_HISTORY)
    for entry in entries:
        changes = entry.changes
        if not internal:
            if _internal_entry(changes):
                continue
            changes = {k: v for k, v in changes.items() if k in CALLER_VISIBLE_FIELDS}
            if not changes and entry.action != "created":
                continue
        items.append(
            {
                "type": "history",
                "at": entry.at,
                "author": entry.actor_label,
                "channel": entry.channel,
                "action": entry.action,
                "changes": changes,
            }
        )
    items.sort(key=lambda item: item["at"])
    return items


def _internal_entry(changes: dict[str, Any]) -> bool:
    attachment = (changes.get("attachment") or {}).get("new") or {}
    return bool(isinstance(attachment, dict) and attachment.get("internal"))


# --- filters and keyset paging --------------------------------------------------------------


def filtered(incidents: QuerySet[Incident], filters: Any) -> QuerySet[Incident]:
    """``incidents`` narrowed by the list's filters; unknown people, groups or CIs are a 400."""
    conditions: dict[str, Any] = {}
    if filters.state:
        conditions["state__in"] = list(dict.fromkeys(filters.state))
    if filters.priority is not None:
        conditions["priority"] = filters.priority
    if filters.assignment_group is not None:
        conditions["assignment_group"] = group_with_id(filters.assignment_group, "assignment_group")
    for field in ("assignee", "caller"):
        if getattr(filters, field):
            conditions[field] = user_named(getattr(filters, field), field)
    for field in ("service", "configuration_item"):
        if getattr(filters, field):
            conditions[field] = configuration_item(getattr(filters, field), field)
    if filters.is_major is not None:
        conditions["is_major"] = filters.is_major
    ranges = {
        "opened_after": "created_at__gte",
        "opened_before": "created_at__lt",
        "updated_after": "updated_at__gte",
        "updated_before": "updated_at__lt",
    }
    for field, lookup in ranges.items():
        if getattr(filters, field) is not None:
            conditions[lookup] = getattr(filters, field)
    return incidents.filter(**conditions)


def ordering(sort: str) -> list[str]:
    """The sort with the id as tiebreak, so every row has one place in the order."""
    return [sort, "-pk" if sort.startswith("-") else "pk"]


def encode_cursor(sort: str, incident: Incident) -> str:
    value = getattr(incident, sort.lstrip("-"))
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    payload = json.dumps({"s": sort, "v": value, "i": incident.pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def after_cursor(incidents: QuerySet[Incident], sort: str, cursor: str) -> QuerySet[Incident]:
    """The rows that come after the cursor's row in ``sort`` order (a keyset condition)."""
    value, pk = _decode_cursor(sort, cursor)
    field = sort.lstrip("-")
    op = "lt" if sort.startswith("-") else "gt"
    # The leading bound (<= or >=) lets the database range-scan the sort column's index; the
    # OR alone makes it scan the index from the start (400 ms at page 1,000 of 100k rows).
    bound = {f"{field}__{op}e": value}
    after = Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
    return incidents.filter(**bound).filter(after)


def _decode_cursor(sort: str, cursor: str) -> tuple[Any, int]:
    bad = ValidationError({"cursor": "Not a cursor this list gave out; start from the first page."})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        value, pk = payload["v"], payload["i"]
        made_for = payload["s"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise bad from None
    if made_for != sort:
        raise ValidationError(
            {"cursor": f"The cursor was made for sort={made_for!r}, not {sort!r}."}
        )
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_ID:
        raise bad
    field = sort.lstrip("-")
    try:
        if field in ("created_at", "updated_at"):
            value = dt.datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
        elif field == "priority":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
                raise ValueError
        elif not isinstance(value, str) or not re.fullmatch(r"[A-Z]{1,8}\d{1,12}", value):
            raise ValueError
    except (ValueError, TypeError):
        raise bad from None
    return value, pk
