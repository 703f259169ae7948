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
from watchkeeper.access.models import AccessProfile, AccessRole, Entitlement
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
    profile: AccessProfile | None = None,
    sod_waivers: tuple[sod.Waiver, ...] = (),
    channel: str = Channel.WEB,
) -> Entitlement:
    """Write a grant to the register. ``sod_waivers`` are the approved exceptions of an access
    request (``sod.waivers_for``): the rules they name may be broken, and the grant says who
    allowed it; ``profile`` is the access profile a joiner or mover request granted it with."""
    if not may_work(acting_user, role):
        raise PermissionDenied("Only an access manager or the role's owner may grant it.")
    _check_grant(role, holder, reason, expires_on, sod_waivers)
    exception = _exception(holder, role, sod_waivers)
    entitlement = Entitlement(
        role=role, holder=holder, granted_by=acting_user, reason=reason.strip(),
        expires_on=expires_on, requested_item=requested_item, profile=profile,
        sod_exception=exception,
    )  # fmt: skip
    try:
        with transaction.atomic():
            entitlement.number = next_number(Entitlement.NUMBER_PREFIX)
            entitlement.save()
            created = {
                "role": (None, role), "holder": (None, holder), "reason": (None, reason),
                "expires_on": (None, expires_on),
            }  # fmt: skip
            if profile is not None:
                created["profile"] = (None, profile)
            if exception:
                created["sod_exception"] = (None, exception)
            record_change(
                entitlement, action="created", actor=acting_user, channel=channel,
                changes=created,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError({"holder": f"{holder.username} already holds {role}."}) from None
    return entitlement


def _exception(holder: Any, role: AccessRole, waivers: tuple[sod.Waiver, ...]) -> str:
    """The exceptions a grant uses (of the rules it breaks), for ``Entitlement.sod_exception``."""
    broken = {rule.pk for rule in sod.broken_rules(holder, role)} if waivers else set()
    used = "; ".join(str(waiver) for waiver in waivers if waiver.rule.pk in broken)
    return used[: Entitlement._meta.get_field("sod_exception").max_length]


def _check_grant(
    role: AccessRole,
    holder: Any,
    reason: str,
    expires_on: dt.date | None,
    sod_waivers: tuple[sod.Waiver, ...],
) -> None:
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
    if not errors.get("holder") and (broken := sod.problem(holder, role, sod_waivers)):
        errors["role"] = broken
    if role.max_days is not None:
        longest = today + dt.timedelta(days=role.max_days)
        if expires_on is None or expires_on > longest:
            errors["expires_on"] = f"{role} is granted for {role.max_days} days at most."
    if errors:
        raise ValidationError(errors)


def revoke(
    entitlement: Entitlement,
    *,
    acting_user: Any,
    reason: str,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
    reviewer: bool = False,
) -> Entitlement:
    """End a grant. ``reviewer``: the caller checked that ``acting_user`` reviews this grant
    in an open campaign (``access.reviews``), which entitles them to end it."""
    if not reviewer and not may_work(acting_user, entitlement.role):
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


def end_by(
    entitlement: Entitlement,
    last_day: dt.date,
    *,
    acting_user: Any,
    reason: str,
    channel: str = Channel.WEB,
) -> bool:
    """The grant ends after ``last_day`` at the latest (a leaver's last day): its end date
    becomes the earlier of its own and ``last_day``, and the expiry job ends it. False when it
    already ends by then, or has ended."""
    if not may_work(acting_user, entitlement.role):
        raise PermissionDenied("Only an access manager or the role's owner may change it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why it ends."})
    with transaction.atomic():
        current = lock_current(entitlement, None)
        if current.state != EntitlementState.ACTIVE:
            return False
        if current.expires_on is not None and current.expires_on <= last_day:
            return False
        changes = {"expires_on": (current.expires_on, last_day)}
        current.expires_on = last_day
        save_versioned(
            current, changes, action="updated", acting_user=acting_user, channel=channel,
            notes={"reason": (None, reason.strip())},
        )  # fmt: skip
    return True


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
