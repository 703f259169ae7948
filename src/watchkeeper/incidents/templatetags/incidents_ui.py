"""Template helpers of the incident pages: figures for the home dashboards."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from watchkeeper.core.markup import render_markdown
from watchkeeper.incidents.choices import FINAL_STATES, OPEN_STATES, IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.views._common import own_incidents

register = template.Library()


@register.simple_tag
def incident_figures(user: Any) -> dict[str, int]:
    """Counts for the home dashboards, each one query on an indexed column pair."""
    mine = own_incidents(user)
    figures = {
        "my_open": mine.filter(state__in=OPEN_STATES).count(),
        "my_resolved": mine.filter(state=IncidentState.RESOLVED).count(),
    }
    if user.has_perm("incidents.view_all"):
        incidents = Incident.objects.all()
        figures |= {
            "assigned_to_me": incidents.filter(assignee=user, state__in=OPEN_STATES).count(),
            "groups_unassigned": incidents.filter(
                assignment_group__in=user.support_groups.all(),
                assignee__isnull=True,
                state__in=OPEN_STATES,
            ).count(),
            "new_unassigned": incidents.filter(
                state=IncidentState.NEW, assignee__isnull=True
            ).count(),
            "major_open": incidents.filter(is_major=True).exclude(state__in=FINAL_STATES).count(),
        }
    return figures


@register.filter
def markdown(text: str) -> str:
    """User Markdown as sanitized HTML (nh3): safe to output."""
    return mark_safe(render_markdown(text or ""))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def assign_to_me_group(incident: Incident, user: Any) -> Any:
    """The group "Assign to me" uses: the incident's, if the user is in it, else their first."""
    groups = user.support_groups.filter(is_active=True)
    if incident.assignment_group_id and groups.filter(pk=incident.assignment_group_id).exists():
        return incident.assignment_group
    return groups.first()
