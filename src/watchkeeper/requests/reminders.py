"""Approvals that wait too long: a reminder to the approver every ``APPROVAL_REMIND_HOURS``
(default 24), and once, after ``APPROVAL_ESCALATE_HOURS`` (default 72), an escalation to the
approver's manager (else the catalog item's owner), recorded in the request's history. The
scheduler runs ``remind_and_escalate`` every 15 minutes; each approval is re-read and locked, so
two schedulers send nothing twice."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.requests import notifications
from watchkeeper.requests.choices import ApprovalState, ItemState
from watchkeeper.requests.models import Approval


def remind_and_escalate(now: dt.datetime | None = None) -> tuple[int, int]:
    """How many reminders and escalations were sent."""
    now = now or timezone.now()
    remind = now - dt.timedelta(hours=settings.APPROVAL_REMIND_HOURS)
    escalate = now - dt.timedelta(hours=settings.APPROVAL_ESCALATE_HOURS)
    waiting = Approval.objects.filter(
        state=ApprovalState.REQUESTED, requested_item__state=ItemState.AWAITING_APPROVAL
    )
    due = waiting.filter(created_at__lte=remind).exclude(reminded_at__gt=remind)
    reminded = sum(_remind(pk, remind, now) for pk in due.values_list("pk", flat=True))
    late = waiting.filter(created_at__lte=escalate, escalated_at__isnull=True)
    escalated = sum(_escalate(pk, escalate, now) for pk in late.values_list("pk", flat=True))
    return reminded, escalated


def _locked(pk: int) -> Approval | None:
    return (
        Approval.objects.select_for_update()
        .select_related("approver", "requested_item__request", "requested_item__catalog_item")
        .filter(pk=pk, state=ApprovalState.REQUESTED)
        .first()
    )


def _remind(pk: int, remind: dt.datetime, now: dt.datetime) -> int:
    with transaction.atomic():
        approval = _locked(pk)
        if approval is None or (approval.reminded_at and approval.reminded_at > remind):
            return 0
        approval.reminded_at = now
        approval.save(update_fields=["reminded_at"])
        notifications.approval_reminder(approval)
    return 1


def _escalate(pk: int, escalate: dt.datetime, now: dt.datetime) -> int:
    with transaction.atomic():
        approval = _locked(pk)
        if approval is None or approval.escalated_at is not None:
            return 0
        item = approval.requested_item
        to = approval.approver.manager or item.catalog_item.owner
        approval.escalated_at = now
        approval.save(update_fields=["escalated_at"])
        request = item.request
        escalated = {"approver": approval.approver.username, "to": to.username if to else None}
        changes = {f"items.{item.position}.approval_escalated": (None, escalated)}
        record_change(request, action="updated", channel=Channel.JOB, changes=changes)
        if to is not None and to.is_active:
            notifications.approval_escalated(approval, to)
    return 1
