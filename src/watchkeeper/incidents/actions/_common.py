"""What every incident action shares: who may do what, locking, saving with history, indexing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from watchkeeper.core import search
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import diff, record_change
from watchkeeper.core.records import lock_current
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.models import Activity, Incident
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.sla import service as sla_service
from watchkeeper.sla.service import SLA_FIELDS


def can_work(user: Any) -> bool:
    """Agents, resolvers and managers work incidents; ``None`` is the system itself."""
    return user is None or bool(user.has_perm(IncidentPermission.WORK))


def require_work(user: Any) -> None:
    require_permission(user, IncidentPermission.WORK)


def is_caller(user: Any, incident: Incident) -> bool:
    return user is not None and incident.caller_id == user.pk


def require_view(user: Any, incident: Incident) -> None:
    if user is None:
        return
    if not Incident.objects.restrict(user).filter(pk=incident.pk).exists():
        raise PermissionDenied("You cannot see this incident.")


def require_caller_or_worker(user: Any, incident: Incident) -> None:
    if not (can_work(user) or is_caller(user, incident)):
        raise PermissionDenied("Only the caller or the service desk can do this.")


def require_participant(user: Any, incident: Incident) -> None:
    """Adding to the conversation: the service desk, the caller, or someone on the watch list.

    Auditors and service owners may read every incident but not talk in it unless they watch it.
    """
    if user is None or can_work(user) or is_caller(user, incident):
        return
    if not incident.watch_list.filter(pk=user.pk).exists():
        raise PermissionDenied("Only the caller, a watcher or the service desk can add to this.")


@contextmanager
def changing(incident: Incident, expected_version: int | None) -> Iterator[Incident]:
    """A transaction holding the incident's row, re-read; refuses a stale ``expected_version``."""
    with transaction.atomic():
        yield lock_current(incident, expected_version)


def apply(
    current: Incident,
    values: Mapping[str, Any],
    *,
    action: str,
    acting_user: Any,
    channel: str,
    validate: Callable[[Incident], None] | None = None,
    notes: Mapping[str, tuple[Any, Any]] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Set ``values`` on the locked ``current``, validate, save a new version and its history.

    ``notes`` are recorded in the history entry beside the field changes (a reason, a comment).
    A failed validation raises inside the transaction, so nothing is saved.
    """
    changes = diff(current, values)
    for name, value in values.items():
        setattr(current, name, value)
    if validate is not None:
        validate(current)
    current.version += 1
    current.save(update_fields=sorted({*changes, "version", "updated_at"}))
    recorded = {**changes, **(notes or {})}
    record_change(current, action=action, actor=acting_user, channel=channel, changes=recorded)
    if SLA_FIELDS.intersection(changes):
        sla_service.refresh(current)
    return changes


def reindex(incident: Incident, comments: Iterable[str] | None = None) -> None:
    """Number, short description, description and comments; work notes stay out of the index,
    so a requester's search can never match the text of a note they may not see.

    ``comments`` may be given when known (none, for a new incident) to save the query."""
    if comments is None:
        found = Activity.objects.filter(incident=incident, kind=ActivityKind.COMMENT)
        comments = found.values_list("body", flat=True)
    parts = [incident.number, incident.short_description, incident.description]
    parts.extend(comments)
    search.index(incident, "\n".join(parts))


def sync(target: Incident, source: Incident) -> None:
    """Copy the saved state of ``source`` (the locked row) onto the caller's object."""
    for field in Incident._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
