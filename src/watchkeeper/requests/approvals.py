"""Approvals of requested items, level by level, by the item's approval policy.

``start`` asks the first level's approvers when an item is ordered; ``decide`` records one
approver's decision and moves the item on: with rule *any* the first decision settles the level,
with rule *all* every approver must approve and one rejection rejects. After the last level the
item goes to fulfilment; a rejection rejects it (and it is never fulfilled).

Nobody approves what they ordered or what is for them: those people are never asked. When that
leaves nobody (or the person it is for has no manager), the catalog item's owner is asked; when
the owner cannot either, the order is refused with a message saying so.

Other apps may need approvals beyond the item's policy (``checks.extra_approvals``: an exception
to a separation-of-duties rule). They are asked once the policy's levels are done (at once
without any), each at its own level from ``EXTRA_LEVEL`` up with rule *any* and a note saying
why; the item is fulfilled once each is approved. Their approvers are checked at order: when only
the requester (or the person it is for) could give one, the order is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.requests import checks, notifications
from watchkeeper.requests.choices import ApprovalRule, ApprovalState, ApproverKind, ItemState
from watchkeeper.requests.delegation import may_decide_for
from watchkeeper.requests.models import (
    MAX_POLICY_LEVEL,
    Approval,
    ApprovalStep,
    RequestedItem,
    ServiceRequest,
)

#: The first level of approvals asked beyond the item's policy (whose levels stay below it).
EXTRA_LEVEL = MAX_POLICY_LEVEL
NOTE_MAX = Approval._meta.get_field("note").max_length or 500


def start(item: RequestedItem, request: ServiceRequest) -> ItemState:
    """Ask the first level (if the item has an approval policy), else the extra approvals (if
    any apply); the item's first state."""
    extras = _extras(item, request)  # refused now if only the requester could give one
    first = item.catalog_item.approval_steps.order_by("level").first()
    if first is not None:
        _ask(item, request, first)
    elif extras:
        _ask_extras(item, extras)
    else:
        return ItemState.IN_FULFILMENT
    return ItemState.AWAITING_APPROVAL


def decide(
    approval: Approval, *, acting_user: Any, approve: bool, comment: str = ""
) -> tuple[ItemState, dict[str, tuple[Any, Any]]]:
    """Record ``acting_user``'s decision (the approver, or their delegate while they are away;
    never someone the request is by or for; the approval must be pending); the item's new state
    and what changed, for the request's history. The caller holds the request's lock."""
    if not may_decide_for(acting_user, approval.approver_id):
        raise PermissionDenied("Only the person asked, or their delegate, can decide this.")
    item = approval.requested_item
    request = item.request
    if acting_user.pk in (request.requested_by_id, request.requested_for_id):
        raise PermissionDenied("Nobody approves their own request.")
    if approval.state != ApprovalState.REQUESTED or item.state != ItemState.AWAITING_APPROVAL:
        raise ValidationError({"state": "This approval is no longer waiting for a decision."})
    if not approve and not comment.strip():
        raise ValidationError({"comment": "Say why you reject it."})
    decision = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    approval.state, approval.comment, approval.decided_at = decision, comment, timezone.now()
    approval.decided_by = acting_user
    approval.save(update_fields=["state", "comment", "decided_at", "decided_by"])
    recorded = {
        "level": approval.level,
        "approver": approval.approver.username,
        "decision": decision,
        "comment": comment,
    }
    if acting_user.pk != approval.approver_id:
        recorded["decided_by"] = acting_user.username
    if approval.note:
        recorded["note"] = approval.note
    changes: dict[str, tuple[Any, Any]] = {f"items.{item.position}.approval": (None, recorded)}
    if not approve:
        _not_needed(item)
        return ItemState.REJECTED, changes
    if not _level_done(item, approval.level, approval.rule):
        return ItemState.AWAITING_APPROVAL, changes
    return _next(item, approval.level), changes


def _next(item: RequestedItem, done: int) -> ItemState:
    """Level ``done`` is approved: ask the next level, else the extra approvals (checked again
    now: the person's access may have changed since the order), else fulfil."""
    if done >= EXTRA_LEVEL:
        _not_needed(item, level=done)
        waiting = item.approvals.filter(level__gte=EXTRA_LEVEL, state=ApprovalState.REQUESTED)
        return ItemState.AWAITING_APPROVAL if waiting.exists() else ItemState.IN_FULFILMENT
    _not_needed(item)
    following = item.catalog_item.approval_steps.filter(level__gt=done).first()
    if following is not None:
        _ask(item, item.request, following)
    elif extras := _extras(item, item.request):
        _ask_extras(item, extras)
    else:
        return ItemState.IN_FULFILMENT
    return ItemState.AWAITING_APPROVAL


def withdraw(item: RequestedItem) -> None:
    """The item was cancelled: its pending approvals are no longer needed."""
    _not_needed(item)


def _level_done(item: RequestedItem, level: int, rule: str) -> bool:
    if rule == ApprovalRule.ANY:
        return True
    pending = item.approvals.filter(level=level).exclude(state=ApprovalState.APPROVED)
    return not pending.exists()


def _not_needed(item: RequestedItem, level: int | None = None) -> None:
    pending = item.approvals.filter(state=ApprovalState.REQUESTED)
    if level is not None:
        pending = pending.filter(level=level)
    pending.update(state=ApprovalState.NOT_NEEDED)


def _ask(item: RequestedItem, request: ServiceRequest, step: ApprovalStep) -> None:
    asked = [
        Approval(requested_item=item, level=step.level, rule=step.rule, approver=user)
        for user in approvers_for(step, request)
    ]
    for approval in asked:
        approval.save()
    notifications.approvals_requested(asked)


def _extras(item: RequestedItem, request: ServiceRequest) -> list[tuple[list[User], str]]:
    """The extra approvals ``item`` needs, each with who is asked (never who ordered it or who
    it is for) and why; refused when one has nobody left to ask."""
    excluded = {request.requested_by_id, request.requested_for_id}
    needed = []
    for approvers, note in checks.extra_approvals(request.requested_for, item.catalog_item):
        chosen = {u.pk: u for u in approvers if u.is_active and u.pk not in excluded}
        if not chosen:
            names = ", ".join(sorted(u.username for u in approvers)) or "nobody"
            raise ValidationError(
                {"approval": f"{note} Only {names} may allow an exception, and nobody approves "
                 "their own request (or one for them): ask the service desk."}
            )  # fmt: skip
        needed.append((sorted(chosen.values(), key=lambda user: user.pk), note[:NOTE_MAX]))
    return needed


def _ask_extras(item: RequestedItem, extras: list[tuple[list[User], str]]) -> None:
    asked = [
        Approval(requested_item=item, level=level, rule=ApprovalRule.ANY, approver=user, note=note)
        for level, (approvers, note) in enumerate(extras, EXTRA_LEVEL)
        for user in approvers
    ]
    for approval in asked:
        approval.save()
    notifications.approvals_requested(asked)


def owner_of(item: Any) -> User:
    """Who owns what ``item`` gives: the access role it grants (``access``), else the item."""
    role = getattr(item, "access_role", None)  # the reverse of AccessRole.catalog_item
    owner: User = role.owner if role is not None else item.owner
    return owner


def approvers_for(step: ApprovalStep, request: ServiceRequest) -> list[User]:
    """Who ``step`` asks about ``request``: never who ordered it or who it is for."""
    excluded = {request.requested_by_id, request.requested_for_id}
    candidates: list[Any] = []
    if step.approver_kind == ApproverKind.MANAGER:
        manager = request.requested_for.manager
        candidates = [manager] if manager is not None else []
    elif step.approver_kind == ApproverKind.GROUP and step.group is not None:
        candidates = list(step.group.members.all()) if step.group.is_active else []
    elif step.approver_kind == ApproverKind.USER and step.user is not None:
        candidates = [step.user]
    elif step.approver_kind == ApproverKind.OWNER:
        candidates = [owner_of(step.item)]
    chosen = [u for u in candidates if u.is_active and u.pk not in excluded]
    if chosen:
        return sorted(chosen, key=lambda user: user.pk)
    owner = step.item.owner
    if owner is not None and owner.is_active and owner.pk not in excluded:
        return [owner]
    raise ValidationError(
        {"approval": f"No one but the requester could approve {step.item}: ask the service desk."}
    )
