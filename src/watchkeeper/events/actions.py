"""Alert actions: acknowledge, shelve, close and link to an incident, by people and jobs.

Every one checks ``events.work`` (``acting_user=None`` is the system), re-reads the alert locked
(refusing a stale ``expected_version``), checks the alert's state and saves the change with its
history entry in one transaction, so the console, the API and the jobs behave the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.records import lock_current
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.models import Alert
from watchkeeper.events.permissions import EventPermission
from watchkeeper.incidents.models import Incident

#: The longest an alert may be shelved: longer is a maintenance window or a closed alert.
MAX_SHELVE = dt.timedelta(days=30)


def _change(
    alert: Alert,
    *,
    acting_user: Any,
    channel: str,
    expected_version: int | None,
    action: str,
    apply: Callable[[Alert], dict[str, Any]],
    note: str = "",
) -> Alert:
    """Lock ``alert``, let ``apply`` check it and name new values, save them with history.

    A ``note`` has no field of its own: it goes into the history entry beside the changes."""
    require_permission(acting_user, EventPermission.WORK)
    with transaction.atomic():
        current: Alert = lock_current(alert, expected_version)
        values = apply(current)
        changes = {
            name: (getattr(current, name), value)
            for name, value in values.items()
            if getattr(current, name) != value
        }
        if not changes:
            return current
        for name, (_old, new) in changes.items():
            setattr(current, name, new)
        current.version += 1
        current.save(update_fields=sorted({*changes, "version", "updated_at"}))
        noted = {**changes, "note": ("", note)} if note else changes
        record_change(current, action=action, actor=acting_user, channel=channel, changes=noted)
    return current


def _not_closed(alert: Alert, verb: str) -> None:
    if alert.status == AlertStatus.CLOSED:
        message = f"{alert.number} is closed and cannot be {verb}; a new event opens a new alert."
        raise ValidationError({"status": message})


def acknowledge(
    alert: Alert, *, acting_user: Any, channel: str, expected_version: int | None = None
) -> Alert:
    """Someone is on it: the alert stays live (it keeps counting events) but is taken."""

    def apply(current: Alert) -> dict[str, Any]:
        _not_closed(current, "acknowledged")
        return {"status": AlertStatus.ACKNOWLEDGED, "shelved_until": None}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="acknowledged", apply=apply,
    )  # fmt: skip


def unacknowledge(
    alert: Alert, *, acting_user: Any, channel: str, expected_version: int | None = None
) -> Alert:
    """Give an acknowledged alert back to the open ones (nobody is on it after all)."""

    def apply(current: Alert) -> dict[str, Any]:
        if current.status != AlertStatus.ACKNOWLEDGED:
            raise ValidationError({"status": f"{current.number} is not acknowledged."})
        return {"status": AlertStatus.OPEN}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="unacknowledged", apply=apply,
    )  # fmt: skip


def shelve(
    alert: Alert,
    *,
    until: dt.datetime,
    acting_user: Any,
    channel: str,
    expected_version: int | None = None,
) -> Alert:
    """Put a live alert aside until ``until`` (at most 30 days ahead); it still counts events."""
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": "Shelve until a time in the future."})
    if until > now + MAX_SHELVE:
        raise ValidationError({"until": "An alert can be shelved for 30 days at most."})

    def apply(current: Alert) -> dict[str, Any]:
        _not_closed(current, "shelved")
        return {"status": AlertStatus.SHELVED, "shelved_until": until}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="shelved", apply=apply,
    )  # fmt: skip


def unshelve(
    alert: Alert,
    *,
    acting_user: Any,
    channel: str,
    expected_version: int | None = None,
    due_at: dt.datetime | None = None,
) -> Alert:
    """Bring a shelved alert back to the open ones: by hand, or (``due_at``, the job's now) when
    its time is up, so a job never undoes a shelving renewed since it looked."""

    def apply(current: Alert) -> dict[str, Any]:
        if current.status != AlertStatus.SHELVED:
            raise ValidationError({"status": f"{current.number} is not shelved."})
        if due_at is not None and (current.shelved_until or due_at) > due_at:
            raise ValidationError({"shelved_until": f"{current.number} is shelved for longer."})
        return {"status": AlertStatus.OPEN, "shelved_until": None}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="unshelved", apply=apply,
    )  # fmt: skip


def close(
    alert: Alert,
    *,
    acting_user: Any,
    channel: str,
    note: str = "",
    expected_version: int | None = None,
) -> Alert:
    """Close a live alert by hand (the tool will not send an ok); a later event opens a new one."""

    def apply(current: Alert) -> dict[str, Any]:
        if current.status == AlertStatus.CLOSED:
            raise ValidationError({"status": f"{current.number} is already closed."})
        return {
            "status": AlertStatus.CLOSED, "closed_at": timezone.now(), "shelved_until": None,
        }  # fmt: skip

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="closed", apply=apply, note=note.strip(),
    )  # fmt: skip


def link_incident(
    alert: Alert,
    incident: Incident,
    *,
    acting_user: Any,
    channel: str,
    expected_version: int | None = None,
) -> Alert:
    """Say which incident an alert belongs to (replacing any earlier link)."""

    def apply(current: Alert) -> dict[str, Any]:
        if current.incident_id == incident.pk:
            raise ValidationError(
                {"incident": f"{current.number} is already linked to {incident}."}
            )
        return {"incident": incident}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="incident_linked", apply=apply,
    )  # fmt: skip


def unlink_incident(
    alert: Alert, *, acting_user: Any, channel: str, expected_version: int | None = None
) -> Alert:
    def apply(current: Alert) -> dict[str, Any]:
        if current.incident_id is None:
            raise ValidationError({"incident": f"{current.number} is linked to no incident."})
        return {"incident": None}

    return _change(
        alert, acting_user=acting_user, channel=channel, expected_version=expected_version,
        action="incident_unlinked", apply=apply,
    )  # fmt: skip
