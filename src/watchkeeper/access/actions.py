"""Every write to the entitlement register: granting, revoking (by hand or for a leaver) and
expiring. A role's grants are worked by access managers and by the role's owner; each change is
in the entitlement's tamper-evident history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from watchkeeper.access import sod
from watchkeeper.access.choices import EntitlementState
from watchkeeper.access.models import AccessRole, Entitlement
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned


def may_work(user: Any, role: AccessRole) -> bool:
    """Access managers work every role's grants; an owner those of their roles; ``None`` is
    the system (the expiry job, a fulfilled access request)."""
    if user is None:
        return True
    return bool(user.has_perm(AccessPermission.MANAGE) or role.owner_id == user.pk)


def grant(
    role: AccessRole,
    holder: Any,
    *,
    acting_user: Any,
    reason: str,
    expires_on: dt.date | None = None,
    requested_item: Any = None,
    channel: str = Channel.WEB,
) -> Entitlement:
    if not may_work(acting_user, role):
        raise PermissionDenied("Only an access manager or the role's owner may grant it.")
    errors = {}
    if not role.is_active:
        errors["role"] = f"{role} is no longer granted."
    if not holder.is_active:
        errors["holder"] = f"{holder.username} is not an active user."
    if not reason.strip():
        errors["reason"] = "Say why (a request number, a ticket, a decision)."
    today = timezone.localdate()
    if expires_on is not None and expires_on < today:
        errors["expires_on"] = "The end date is in the past."
    if not errors.get("holder") and (broken := sod.problem(holder, role)):
        errors["role"] = broken
    if role.max_days is not None:
        longest = today + dt.timedelta(days=role.max_days)
        if expires_on is None or expires_on > longest:
            errors["expires_on"] = f"{role} is granted for {role.max_days} days at most."
    if errors:
        raise ValidationError(errors)
    entitlement = Entitlement(
        role=role, holder=holder, granted_by=acting_user, reason=reason.strip(),
        expires_on=expires_on, requested_item=requested_item,
    )  # fmt: skip
    try:
        with transaction.atomic():
            entitlement.number = next_number(Entitlement.NUMBER_PREFIX)
            entitlement.save()
            created = {
                "role": (None, role), "holder": (None, holder), "reason": (None, reason),
                "expires_on": (None, expires_on),
            }  # fmt: skip
            record_change(
                entitlement, action="created", actor=acting_user, channel=channel,
                changes=created,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError({"holder": f"{holder.username} already holds {role}."}) from None
    return entitlement


def revoke(
    entitlement: Entitlement,
    *,
    acting_user: Any,
    reason: str,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> Entitlement:
    if not may_work(acting_user, entitlement.role):
        raise PermissionDenied("Only an access manager or the role's owner may revoke it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why it is revoked."})
    with transaction.atomic():
        current = lock_current(entitlement, expected_version)
        _end(current, EntitlementState.REVOKED, acting_user, reason.strip(), channel)
    return current


def revoke_all(holder: Any, *, acting_user: Any, reason: str, channel: str = Channel.WEB) -> int:
    """A leaver: every active entitlement of ``holder`` revoked (access managers only)."""
    require_permission(acting_user, AccessPermission.MANAGE)
    if not reason.strip():
        raise ValidationError({"reason": "Say why (e.g. the leaver request's number)."})
    count = 0
    with transaction.atomic():
        active = Entitlement.objects.filter(holder=holder, state=EntitlementState.ACTIVE)
        for entitlement in active.select_for_update().order_by("pk"):
            _end(entitlement, EntitlementState.REVOKED, acting_user, reason.strip(), channel)
            count += 1
    return count


def expire_due(today: dt.date | None = None) -> int:
    """End the grants whose last day has passed (the scheduler runs this hourly)."""
    today = today or timezone.localdate()
    due = Entitlement.objects.filter(state=EntitlementState.ACTIVE, expires_on__lt=today)
    count = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            current = Entitlement.objects.select_for_update().get(pk=pk)
            if current.state != EntitlementState.ACTIVE:
                continue
            _end(current, EntitlementState.EXPIRED, None, "Its end date passed.", Channel.JOB)
            count += 1
    return count


def _end(entitlement: Entitlement, state: str, acting_user: Any, reason: str, channel: str) -> None:
    if entitlement.state != EntitlementState.ACTIVE:
        raise ValidationError({"state": f"{entitlement.number} has already ended."})
    now = timezone.now()
    changes = {
        "state": (entitlement.state, state),
        "ended_at": (None, now),
        "end_reason": ("", reason),
    }
    entitlement.state, entitlement.ended_at, entitlement.end_reason = state, now, reason
    entitlement.ended_by = acting_user
    save_versioned(
        entitlement, changes, action="updated", acting_user=acting_user, channel=channel,
        extra_fields=["ended_by"],
    )  # fmt: skip
