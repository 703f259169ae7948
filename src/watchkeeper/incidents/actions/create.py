"""Reporting an incident: in the portal, by e-mail, by API, or by an agent for a caller."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts.system import system_user
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.incidents import notifications
from watchkeeper.incidents.actions._common import can_work, reindex
from watchkeeper.incidents.actions.fields import (
    check_assignment,
    check_classification,
    default_group,
)
from watchkeeper.incidents.actions.relations import check_parent, record_parent_change
from watchkeeper.incidents.choices import Impact, Urgency
from watchkeeper.incidents.models import Incident, Tag
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.priority import priority_for
from watchkeeper.problems import known_error_match
from watchkeeper.sla import service as sla_service

#: What a requester may set when reporting; the rest is the service desk's.
CALLER_FIELDS = {
    "short_description",
    "description",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "urgency",
}
STAFF_FIELDS = CALLER_FIELDS | {
    "impact",
    "assignment_group",
    "assignee",
    "parent",
    "priority",
    "priority_override_reason",
}


RELATED_FIELDS = (
    "caller",
    "opened_by",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "assignment_group",
    "assignee",
    "parent",
)


def create_incident(
    *,
    caller: Any,
    short_description: str,
    acting_user: Any,
    channel: str = Channel.PORTAL,
    watch_list: Iterable[Any] = (),
    tags: Iterable[str] = (),
    **fields: Any,
) -> Incident:
    """Create an incident, numbered INC…, with its priority from impact x urgency."""
    require_permission(acting_user, IncidentPermission.REPORT)
    staff = can_work(acting_user)
    allowed = STAFF_FIELDS if staff else CALLER_FIELDS
    unknown = set(fields) - allowed
    if unknown:
        raise PermissionDenied(f"You cannot set {', '.join(sorted(unknown))} when reporting.")
    if not staff and (caller != acting_user or watch_list or tags):
        raise PermissionDenied("You can report incidents only for yourself.")
    incident = _new_incident(caller, short_description, acting_user, channel, fields)
    with transaction.atomic():
        incident.number = next_number(Incident.NUMBER_PREFIX)
        incident.save()
        watchers, tag_objects = list(watch_list), _tags(tags)
        if watchers:  # a new incident has none: skip the query that would find that out
            incident.watch_list.set(watchers)
        if tag_objects:
            incident.tags.set(tag_objects)
        changes = {
            name: (None, getattr(incident, name))
            for name in ("caller", "short_description", "channel", "state", "priority", *fields)
        }
        record_change(
            incident, action="created", actor=acting_user, channel=channel, changes=changes
        )
        record_parent_change(incident, None, acting_user=acting_user, channel=channel)
        sla_service.refresh(incident)
        reindex(incident, comments=[])
        notifications.incident_created(incident)
        known_error_match.match_new_incident(incident)  # a known error's workaround, as a note
    return incident


def _new_incident(
    caller: Any, short_description: str, acting_user: Any, channel: str, fields: dict[str, Any]
) -> Incident:
    impact = fields.pop("impact", None) or Impact.LOW
    urgency = fields.pop("urgency", None) or Urgency.LOW
    override = fields.get("priority")
    if override is not None:
        require_permission(acting_user, IncidentPermission.OVERRIDE_PRIORITY)
        if not (fields.get("priority_override_reason") or "").strip():
            raise ValidationError({"priority_override_reason": "Say why the priority differs."})
    incident = Incident(
        caller=caller,
        opened_by=acting_user if acting_user is not None else caller,
        channel=channel,
        short_description=(short_description or "").strip(),
        impact=impact,
        urgency=urgency,
        **fields,
    )
    if override is None:
        incident.priority = priority_for(impact, urgency)
    if incident.assignment_group_id is None:
        incident.assignment_group = default_group(incident)
    check_classification(incident)
    check_assignment(incident)
    if incident.parent is not None:
        check_parent(incident, incident.parent)
    if incident.assignee_id is not None:
        incident.assigned_at = timezone.now()
    # The related records were looked up by the caller already: validate values, not existence.
    incident.full_clean(exclude=["number", *RELATED_FIELDS])
    return incident


def _tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in {str(n).strip().lower() for n in names if str(n).strip()}:
        tag, _ = Tag.objects.get_or_create(name=name[:50])
        tags.append(tag)
    return tags


def create_system_incident(
    *, short_description: str, channel: str, caller: Any = None, **fields: Any
) -> Incident:
    """An incident Watchkeeper opens by itself (a failed backup, a monitoring alert): called in
    by ``caller`` or the system account, and its assignment group told at once, as a dispatcher
    would."""
    incident = create_incident(
        caller=caller if caller is not None else system_user(),
        short_description=short_description,
        acting_user=None,
        channel=channel,
        **fields,
    )
    if incident.assignment_group is not None:
        notifications.incident_assigned(incident, to_group=True, to_assignee=False)
    return incident
