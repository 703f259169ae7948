"""Links between incidents: related records (symmetric) and parent/child.

Related incidents are a plain, symmetric reference ("see also"): relating or unrelating two
incidents records a history entry on both of them, in one transaction. It changes no field, so it
does not bump either version, and it is allowed in any state (a new incident may point at a
closed one).

Parent and child are one level deep: a parent cannot itself be a child, and an incident with
children cannot become a child. That rules out cycles (an incident can never become the child of
its own descendant), keeps "children resolve with the parent" to one step, and is what a service
desk means by a parent: the one incident that stands for an outage its duplicates report. The
parent must be open, since only an open parent still resolves its children. ``update_incident``
sets and clears the parent and calls ``check_parent`` and ``record_parent_change`` from here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.incidents.actions._common import require_work
from watchkeeper.incidents.choices import OPEN_STATES
from watchkeeper.incidents.models import Incident


def lock_in_order(*incidents: Incident) -> dict[int, Incident]:
    """Lock the rows of ``incidents`` in id order (so two requests never deadlock), re-read."""
    pks = sorted({incident.pk for incident in incidents})
    locked = Incident.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {row.pk: row for row in locked}


def _related_numbers(incident: Incident) -> list[str]:
    return sorted(incident.related.values_list("number", flat=True))


def relate(
    incident: Incident, other: Incident, *, acting_user: Any, channel: str = Channel.WEB
) -> Incident:
    """Record that ``incident`` and ``other`` are related; both get a history entry."""
    return _link(incident, other, acting_user=acting_user, channel=channel, adding=True)


def unrelate(
    incident: Incident, other: Incident, *, acting_user: Any, channel: str = Channel.WEB
) -> Incident:
    """Remove the relation between ``incident`` and ``other``; both get a history entry."""
    return _link(incident, other, acting_user=acting_user, channel=channel, adding=False)


def _link(
    incident: Incident, other: Incident, *, acting_user: Any, channel: str, adding: bool
) -> Incident:
    require_work(acting_user)
    if incident.pk == other.pk:
        raise ValidationError({"related": "An incident cannot be related to itself."})
    with transaction.atomic():
        rows = lock_in_order(incident, other)
        current, partner = rows[incident.pk], rows[other.pk]
        linked = current.related.filter(pk=partner.pk).exists()
        if adding and linked:
            raise ValidationError(
                {"related": f"{current.number} is already related to {partner.number}."}
            )
        if not adding and not linked:
            raise ValidationError(
                {"related": f"{current.number} is not related to {partner.number}."}
            )
        before = {row.pk: _related_numbers(row) for row in (current, partner)}
        if adding:
            current.related.add(partner)
        else:
            current.related.remove(partner)
        action = "related" if adding else "unrelated"
        for row in (current, partner):
            changes = {"related": (before[row.pk], _related_numbers(row))}
            record_change(row, action=action, actor=acting_user, channel=channel, changes=changes)
    return incident


def check_parent(incident: Incident, parent: Incident) -> None:
    """May ``parent`` become the parent of ``incident``? (Both rows locked by the caller.)"""
    if parent.pk == incident.pk:
        raise ValidationError({"parent": "An incident cannot be its own parent."})
    if incident.pk is not None and parent.parent_id == incident.pk:
        raise ValidationError(
            {
                "parent": f"{parent.number} is a child of {incident.number}: an incident cannot "
                "become the child of its own descendant."
            }
        )
    if parent.parent_id is not None:
        top = Incident.objects.filter(pk=parent.parent_id).values_list("number", flat=True)[0]
        raise ValidationError(
            {
                "parent": f"{parent.number} is itself a child of {top}: children are one level "
                f"deep, so choose {top} as the parent."
            }
        )
    if incident.pk is not None and Incident.objects.filter(parent_id=incident.pk).exists():
        raise ValidationError(
            {
                "parent": f"{incident.number} has children of its own, so it cannot become a "
                "child: children are one level deep."
            }
        )
    if parent.state not in OPEN_STATES:
        raise ValidationError(
            {
                "parent": f"{parent.number} is {parent.get_state_display()}; a parent must be "
                "open to resolve its children."
            }
        )


def record_parent_change(
    child: Incident, old_parent_id: int | None, *, acting_user: Any, channel: str
) -> None:
    """The parents gained or lost a child: a history entry on each (in the caller's transaction)."""
    if old_parent_id == child.parent_id:
        return
    moves = [(old_parent_id, "child_removed"), (child.parent_id, "child_added")]
    for parent_id, action in moves:
        if parent_id is None:
            continue
        parent = Incident.objects.get(pk=parent_id)
        numbers = sorted(parent.children.values_list("number", flat=True))
        if action == "child_added":
            was = sorted(set(numbers) - {child.number})
        else:
            was = sorted({*numbers, child.number})
        changes = {"children": (was, numbers)}
        record_change(parent, action=action, actor=acting_user, channel=channel, changes=changes)
