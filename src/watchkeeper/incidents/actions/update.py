"""Editing an incident: its fields, priority, assignment, watch list and tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.incidents import notifications
from watchkeeper.incidents.actions._common import apply, changing, reindex, require_work, sync
from watchkeeper.incidents.actions.create import _tags
from watchkeeper.incidents.actions.fields import check_assignment, check_classification
from watchkeeper.incidents.actions.relations import (
    check_parent,
    lock_in_order,
    record_parent_change,
)
from watchkeeper.incidents.choices import FINAL_STATES, Priority
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.priority import priority_for

EDITABLE = {
    "short_description",
    "description",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "impact",
    "urgency",
    "parent",
}


def _refuse_final(incident: Incident) -> None:
    if incident.state in FINAL_STATES:
        raise ValidationError({"state": f"{incident.number} is {incident.get_state_display()}."})


def _validate_fields(incident: Incident) -> None:
    check_classification(incident)
    incident.full_clean(exclude=["number"])


def update_incident(
    incident: Incident,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
    **values: Any,
) -> Incident:
    """Change fields; a new impact or urgency recomputes the priority (ending an override)."""
    require_work(acting_user)
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValidationError({field: "This field cannot be changed here." for field in unknown})
    with (
        transaction.atomic(),
        _locking_parent(incident, values),
        changing(incident, expected_version) as current,
    ):
        _refuse_final(current)
        if "short_description" in values:
            values["short_description"] = (values["short_description"] or "").strip()
        old_parent_id = current.parent_id
        if values.get("parent") is not None:
            values["parent"] = _locked_parent(current, values["parent"])
        impact = values.get("impact", current.impact)
        urgency = values.get("urgency", current.urgency)
        if (impact, urgency) != (current.impact, current.urgency):
            values["priority"] = priority_for(impact, urgency)
            values["priority_override_reason"] = ""
        apply(
            current,
            values,
            action="updated",
            acting_user=acting_user,
            channel=channel,
            validate=_validate_fields,
        )
        if "parent" in values:
            record_parent_change(current, old_parent_id, acting_user=acting_user, channel=channel)
        reindex(current)
    sync(incident, current)
    return incident


@contextmanager
def _locking_parent(incident: Incident, values: dict[str, Any]) -> Iterator[None]:
    """Lock the incident and its new parent in id order first, so two edits never deadlock."""
    if values.get("parent") is not None:
        lock_in_order(incident, values["parent"])
    yield


def _locked_parent(current: Incident, parent: Incident) -> Incident:
    """The new parent, re-read and locked beside ``current`` (id order), and allowed as one."""
    locked = lock_in_order(current, parent).get(parent.pk)
    if locked is None:
        raise ValidationError({"parent": f"No incident {parent.number}."})
    check_parent(current, locked)
    return locked


def override_priority(
    incident: Incident,
    *,
    priority: int,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    require_permission(acting_user, IncidentPermission.OVERRIDE_PRIORITY)
    if priority not in Priority.values:
        raise ValidationError({"priority": f"Priority must be one of {Priority.values}."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the priority differs from the matrix."})
    with changing(incident, expected_version) as current:
        _refuse_final(current)
        values = {"priority": priority, "priority_override_reason": reason.strip()}
        apply(
            current, values, action="priority_overridden", acting_user=acting_user, channel=channel
        )
    sync(incident, current)
    return incident


def assign(
    incident: Incident,
    *,
    group: Any,
    assignee: Any = None,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Assign to a group (and a member). Moving between groups counts as a reassignment."""
    require_work(acting_user)
    with changing(incident, expected_version) as current:
        _refuse_final(current)
        old_group_id, old_assignee_id = current.assignment_group_id, current.assignee_id
        values: dict[str, Any] = {"assignment_group": group, "assignee": assignee}
        if old_group_id is not None and group is not None and group.pk != old_group_id:
            values["reassignment_count"] = current.reassignment_count + 1
        if assignee is not None and current.assigned_at is None:
            values["assigned_at"] = timezone.now()
        apply(
            current,
            values,
            action="assigned",
            acting_user=acting_user,
            channel=channel,
            validate=check_assignment,
        )
    sync(incident, current)
    group_changed = group is not None and group.pk != old_group_id
    assignee_changed = assignee is not None and assignee.pk != old_assignee_id
    notifications.incident_assigned(incident, to_group=group_changed, to_assignee=assignee_changed)
    return incident


def _replace_set(
    incident: Incident,
    field: str,
    items: list[Any],
    name_of: Callable[[Any], str],
    *,
    acting_user: Any,
    channel: str,
) -> Incident:
    """Replace a many-to-many field (watch list, tags) and record old -> new names."""
    require_work(acting_user)
    with changing(incident, None) as current:
        related = getattr(current, field)
        old = sorted(name_of(item) for item in related.all())
        related.set(items)
        new = sorted(name_of(item) for item in items)
        if old != new:
            record_change(
                current,
                action=f"{field}_changed",
                actor=acting_user,
                channel=channel,
                changes={field: (old, new)},
            )
    return incident


def set_watch_list(
    incident: Incident, users: Iterable[Any], *, acting_user: Any, channel: str = Channel.WEB
) -> Incident:
    return _replace_set(
        incident,
        "watch_list",
        list(users),
        lambda user: user.username,
        acting_user=acting_user,
        channel=channel,
    )


def set_tags(
    incident: Incident, names: Iterable[str], *, acting_user: Any, channel: str = Channel.WEB
) -> Incident:
    require_work(acting_user)
    return _replace_set(
        incident,
        "tags",
        _tags(names),
        lambda tag: tag.name,
        acting_user=acting_user,
        channel=channel,
    )
