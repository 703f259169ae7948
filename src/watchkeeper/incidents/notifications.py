"""Who hears about what happens to an incident. Work notes never reach the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from watchkeeper.core.notifications import notify, notify_addresses, register_kind
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.permissions import IncidentPermission

register_kind(
    "incident_updates",
    "My incidents",
    "Incidents you reported or watch: created, answered, resolved.",
)
register_kind(
    "incident_assigned",
    "Assigned to me",
    "An incident was assigned to you, or its caller answered.",
)
register_kind("group_queue", "My groups' queues", "An incident was assigned to one of your groups.")
register_kind(
    "major_incidents", "Major incidents", "Stakeholder updates on major incidents you follow."
)


def _people(users: Iterable[Any], *, besides: Any = None) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and (besides is None or user.pk != besides.pk):
            seen[user.pk] = user
    return list(seen.values())


def _followers(incident: Any) -> list[Any]:
    return [incident.caller, *incident.watch_list.all()]


def link(incident: Any) -> Callable[[Any], str]:
    """The in-app link for each recipient: the record page for staff, the portal page for the
    caller and other requesters (as in the e-mails)."""

    def for_user(user: Any) -> str:
        staff = user.pk != incident.caller_id and user.has_perm(IncidentPermission.VIEW_ALL)
        area = "desk" if staff else "portal"
        return f"/{area}/incidents/{incident.number}/"

    return for_user


def incident_created(incident: Any) -> None:
    notify(
        _people([incident.caller]),
        kind="incident_updates",
        subject=f"{incident.number} received: {incident.short_description}",
        template="incidents/email/created.txt",
        context={"incident": incident},
        url=link(incident),
    )


def incident_assigned(incident: Any, *, to_group: bool, to_assignee: bool) -> None:
    context = {"incident": incident}
    if to_assignee and incident.assignee is not None:
        notify(
            [incident.assignee],
            kind="incident_assigned",
            subject=f"{incident.number} assigned to you: {incident.short_description}",
            template="incidents/email/assigned.txt",
            context=context,
            url=link(incident),
        )
    if to_group and incident.assignment_group is not None:
        members = incident.assignment_group.members.filter(is_active=True)
        notify(
            _people(members, besides=incident.assignee),
            kind="group_queue",
            subject=f"{incident.number} for {incident.assignment_group}: {incident}",
            template="incidents/email/assigned_group.txt",
            context=context,
            url=link(incident),
        )


def activity_added(activity: Any) -> None:
    """A comment goes to the other side; a work note only to the assignee, never the caller."""
    incident, author = activity.incident, activity.author
    context = {"incident": incident, "activity": activity}
    if activity.kind == ActivityKind.WORK_NOTE or author.pk == incident.caller_id:
        recipients, kind = _people([incident.assignee], besides=author), "incident_assigned"
    else:
        recipients, kind = _people(_followers(incident), besides=author), "incident_updates"
    template = "work_note" if activity.kind == ActivityKind.WORK_NOTE else "comment"
    notify(
        recipients,
        kind=kind,
        subject=f"New {activity.get_kind_display().lower()} on {incident}",
        template=f"incidents/email/{template}.txt",
        context=context,
        url=link(incident),
    )


def incident_resolved(incident: Any) -> None:
    notify(
        _people(_followers(incident)),
        kind="incident_updates",
        subject=f"{incident.number} resolved: {incident.short_description}",
        template="incidents/email/resolved.txt",
        context={"incident": incident},
        url=link(incident),
    )


def major_update_posted(update: Any) -> None:
    """Stakeholder update: to the watch list and caller by preference; to listed addresses too."""
    incident = update.incident
    context = {"incident": incident, "update": update}
    subject = f"Major incident {incident.number}: update"
    notify(
        _people(_followers(incident)),
        kind="major_incidents",
        subject=subject,
        template="incidents/email/major_update.txt",
        context=context,
        url=link(incident),
    )
    notify_addresses(
        update.recipients,
        subject=subject,
        template="incidents/email/major_update.txt",
        context=context,
    )
