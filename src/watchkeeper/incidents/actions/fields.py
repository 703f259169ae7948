"""Rules on an incident's fields, shared by creation and updates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission


def check_classification(incident: Incident) -> None:
    """Category, subcategory and service must fit together."""
    errors: dict[str, str] = {}
    category, subcategory = incident.category, incident.subcategory
    if category is not None and category.parent_id is not None:
        errors["category"] = f"{category} is a subcategory; choose its top-level category."
    if subcategory is not None and (category is None or subcategory.parent_id != category.pk):
        errors["subcategory"] = f"{subcategory.name} is not a subcategory of {category}."
    if incident.service is not None and incident.service.ci_class not in SERVICE_CLASSES:
        errors["service"] = f"{incident.service} is not a service."
    if errors:
        raise ValidationError(errors)


def check_assignment(
    incident: Any, permission: str = IncidentPermission.WORK, work: str = "incidents"
) -> None:
    """The assignee must be an active member of the assignment group and able to work it (a
    record with ``assignment_group`` and ``assignee``: an incident, or a problem or its task
    with ``permission`` and ``work`` of theirs)."""
    group, assignee = incident.assignment_group, incident.assignee
    if group is not None and not group.is_active:
        raise ValidationError({"assignment_group": f"{group} is no longer active."})
    if assignee is None:
        return
    if group is None:
        raise ValidationError({"assignee": "Choose the assignment group first."})
    if not group.members.filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": f"{assignee} is not a member of {group}."})
    if not (assignee.is_active and assignee.has_perm(permission)):
        raise ValidationError({"assignee": f"{assignee} cannot work {work}."})


def default_group(incident: Incident) -> SupportGroup | None:
    """Where an incident goes when nobody chose: its category's group, else its service's."""
    for source in (incident.subcategory, incident.category):
        if source is not None and source.default_group_id is not None:
            return source.default_group
    if incident.service is not None and incident.service.support_group_id is not None:
        return incident.service.support_group
    return None
