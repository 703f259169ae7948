"""Delegation of approvals while away: between two dates, a delegate may decide the approvals
asked of the person who delegated (and is e-mailed about new ones). The approval stays theirs;
who decided is kept beside it (``Approval.decided_by``) and in the request's history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.requests.models import ApprovalDelegation

MAX_DAYS = 366


def active_on(day: dt.date) -> Any:
    return ApprovalDelegation.objects.filter(starts_on__lte=day, ends_on__gte=day)


def delegates_of(user_id: int, day: dt.date | None = None) -> list[Any]:
    """The active delegates of ``user_id`` today (or on ``day``)."""
    rows = active_on(day or timezone.localdate()).filter(user_id=user_id, delegate__is_active=True)
    return [row.delegate for row in rows.select_related("delegate")]


def delegators_of(user: Any, day: dt.date | None = None) -> list[int]:
    """Whose approvals ``user`` may decide today, besides their own."""
    rows = active_on(day or timezone.localdate()).filter(delegate=user)
    return list(rows.values_list("user_id", flat=True))


def may_decide_for(user: Any, approver_id: int) -> bool:
    return user.pk == approver_id or approver_id in delegators_of(user)


def delegate(
    *, acting_user: Any, to: Any, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> ApprovalDelegation:
    """``acting_user`` lets ``to`` decide their approvals from ``starts_on`` to ``ends_on``."""
    errors = {}
    if to.pk == acting_user.pk:
        errors["delegate"] = "Choose someone else."
    elif not to.is_active:
        errors["delegate"] = f"{to.username} is not an active user."
    if ends_on < starts_on:
        errors["ends_on"] = "The end is before the start."
    elif (ends_on - starts_on).days > MAX_DAYS:
        errors["ends_on"] = f"At most {MAX_DAYS} days."
    if ends_on < timezone.localdate():
        errors["ends_on"] = "The end is in the past."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return ApprovalDelegation.objects.create(
            user=acting_user, delegate=to, starts_on=starts_on, ends_on=ends_on, reason=reason
        )


def withdraw(delegation: ApprovalDelegation, *, acting_user: Any) -> None:
    if delegation.user_id != acting_user.pk:
        raise ValidationError({"delegation": "Only who delegated can withdraw it."})
    delegation.delete()
