"""Every write to a request: ordering, deciding an approval, cancelling, completing an item.
Each checks who may do it, runs in one transaction with the request's row locked, and records
the change in the request's history (an item's as ``items.<position>.<field>``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core import search
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned
from watchkeeper.reporting import surveys
from watchkeeper.requests import approvals, attachments, checks, delivery, fulfilment
from watchkeeper.requests.catalog import orderable_items
from watchkeeper.requests.choices import ItemState, RequestState, TaskState
from watchkeeper.requests.lifecycle import request_state
from watchkeeper.requests.models import (
    Approval,
    CatalogItem,
    FulfilmentTask,
    RequestAttachment,
    RequestedItem,
    ServiceRequest,
)
from watchkeeper.requests.permissions import RequestPermission
from watchkeeper.requests.signals import item_delivered
from watchkeeper.requests.variables import clean_answers

MAX_LINES = 20
MAX_QUANTITY = 100


@dataclass(frozen=True)
class Line:
    """One item of an order, as asked for."""

    item: CatalogItem
    answers: Mapping[str, Any]
    quantity: int = 1


def order(
    *,
    acting_user: Any,
    lines: Sequence[Line],
    requested_for: Any = None,
    channel: str = Channel.WEB,
) -> ServiceRequest:
    """A new request of ``lines`` for ``requested_for`` (default: the one ordering). Ordering for
    someone else takes ``requests.order_for_others`` or being their manager; each item must be
    one that person may order. Every problem is named at once (``items.<n>.…``). Files answering
    attachment questions are stored with it, and removed again if the order fails."""
    require_permission(acting_user, RequestPermission.ORDER)
    recipient = requested_for or acting_user
    _require_may_order_for(acting_user, recipient)
    cleaned = _checked_lines(recipient, lines)
    written: list[RequestAttachment] = []
    try:
        with transaction.atomic():
            request = ServiceRequest(
                number=next_number(ServiceRequest.NUMBER_PREFIX),
                requested_by=acting_user,
                requested_for=recipient,
                short_description=_summary(lines),
                channel=channel,
            )
            request.save()
            items = [
                _add_item(request, position, line, answers, acting_user, channel, written)
                for position, (line, answers) in enumerate(zip(lines, cleaned, strict=True), 1)
            ]
            request.state = request_state(item.state for item in items)
            request.save(update_fields=["state"])
            _record_order(request, items, acting_user, channel)
    except BaseException:
        attachments.discard(written)  # nothing half-saved: no file without its order
        raise
    return request


def _add_item(
    request: ServiceRequest,
    position: int,
    line: Line,
    answers: dict[str, Any],
    acting_user: Any,
    channel: str,
    written: list[RequestAttachment],
) -> RequestedItem:
    """One line saved with its files; asked for approval, or at once in fulfilment (its
    delivery clock started, its first tasks open)."""
    item = _requested(request, position, line, answers)
    item.save()
    item.answers = attachments.store(
        item, line.answers, answers, acting_user=acting_user, written=written
    )
    try:
        item.state = approvals.start(item, request)
    except ValidationError as problem:
        raise ValidationError(
            {f"items.{position}.{k}": v for k, v in problem.message_dict.items()}
        ) from None
    item.save(update_fields=["answers", "state"])
    if item.state == ItemState.IN_FULFILMENT:
        delivery.start_clock(item)
        fulfilment.begin(item, acting_user=acting_user, channel=channel)
    return item


def _requested(
    request: ServiceRequest, position: int, line: Line, answers: dict[str, Any]
) -> RequestedItem:
    return RequestedItem(
        request=request, position=position, catalog_item=line.item, quantity=line.quantity,
        answers=answers, state=ItemState.IN_FULFILMENT,
        fulfilment_group=line.item.fulfilment_group, unit_cost=line.item.cost,
    )  # fmt: skip


def _record_order(
    request: ServiceRequest, items: list[RequestedItem], acting_user: Any, channel: str
) -> None:
    created: dict[str, tuple[Any, Any]] = {
        "requested_for": (None, request.requested_for),
        "state": (None, request.state),
        "items": (None, [_described(item) for item in items]),
    }
    for item in items:
        if item.due_at is not None:
            created[f"items.{item.position}.due_at"] = (None, item.due_at)
    record_change(request, action="created", actor=acting_user, channel=channel, changes=created)
    search.index(request, f"{request.number} {request.short_description}")


def cancel(
    request: ServiceRequest,
    *,
    acting_user: Any,
    reason: str,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> ServiceRequest:
    """Cancel what is still open (by whoever ordered it, the person it is for, or fulfilers)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is cancelled."})
    with transaction.atomic():
        current = lock_current(request, expected_version)
        _require_requester_or_fulfiler(acting_user, current)
        if current.state != RequestState.OPEN:
            raise ValidationError({"state": f"{current.number} is already closed."})
        open_items = list(current.items.filter(state__in=[s.value for s in _open_states()]))
        for item in open_items:
            approvals.withdraw(item)
            fulfilment.cancel_tasks(item, acting_user=acting_user, channel=channel)
        changes = _close_items(open_items, ItemState.CANCELLED)
        _settle(current, changes, acting_user, channel, notes={"reason": (None, reason)})
    return current


def complete_item(
    request: ServiceRequest,
    position: int,
    *,
    acting_user: Any,
    notes: str = "",
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> ServiceRequest:
    """A fulfiler marks one item delivered; the request closes with its last open item."""
    require_permission(acting_user, RequestPermission.FULFIL)
    with transaction.atomic():
        current = lock_current(request, expected_version)
        item = current.items.filter(position=position).first()
        if item is None:
            raise ValidationError({"position": f"{current.number} has no item {position}."})
        if item.state != ItemState.IN_FULFILMENT:
            raise ValidationError(
                {"state": f"Item {position} is {item.get_state_display().lower()}, not in "
                 "fulfilment."}
            )  # fmt: skip
        if fulfilment.has_plan(item):
            raise ValidationError(
                {"state": f"Item {position} is delivered by its tasks: complete those."}
            )
        changes = _close_items([item], ItemState.COMPLETE)
        extra = {"notes": (None, notes)} if notes.strip() else {}
        _settle(current, changes, acting_user, channel, notes=extra)
    return current


def decide_approval(
    approval: Approval,
    *,
    acting_user: Any,
    approve: bool,
    comment: str = "",
    channel: str = Channel.WEB,
) -> ServiceRequest:
    """``acting_user`` (the approver asked) approves or rejects; the item moves on
    (``approvals.decide``) and the request with it. Nobody is ever asked about their own
    request, so nobody approves their own."""
    with transaction.atomic():
        current = lock_current(approval.requested_item.request, None)
        fresh = Approval.objects.select_related("requested_item__catalog_item").get(pk=approval.pk)
        state, changes = approvals.decide(
            fresh, acting_user=acting_user, approve=approve, comment=comment
        )
        item = fresh.requested_item
        if state in (ItemState.REJECTED,):
            changes.update(_close_items([item], state))
        elif state != item.state:
            changes[f"items.{item.position}.state"] = (item.state, state)
            item.state = state
            item.save(update_fields=["state"])
            if state == ItemState.IN_FULFILMENT:  # approved: the delivery clock starts now
                changes.update(delivery.start_clock(item))
                fulfilment.begin(item, acting_user=acting_user, channel=channel)
        _settle(current, changes, acting_user, channel, notes={})
    return current


def assign_task(
    task: FulfilmentTask,
    *,
    acting_user: Any,
    assignee: Any,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> FulfilmentTask:
    """Give the task to a member of its group (or anyone who fulfils, when it has none); it is
    then in progress."""
    require_permission(acting_user, RequestPermission.FULFIL)
    with transaction.atomic():
        current = lock_current(task, expected_version)
        _require_open_task(current)
        if not assignee.is_active or not assignee.has_perm(RequestPermission.FULFIL):
            raise ValidationError({"assigned_to": f"{assignee.username} cannot fulfil tasks."})
        if current.group is not None and not current.group.members.filter(pk=assignee.pk):
            raise ValidationError(
                {"assigned_to": f"{assignee.username} is not in {current.group}."}
            )
        changes = {
            "assigned_to": (current.assigned_to, assignee),
            "state": (current.state, TaskState.IN_PROGRESS),
        }
        current.assigned_to, current.state = assignee, TaskState.IN_PROGRESS
        save_versioned(current, changes, action="updated", acting_user=acting_user, channel=channel)
    return current


def complete_task(
    task: FulfilmentTask,
    *,
    acting_user: Any,
    notes: str = "",
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> FulfilmentTask:
    """The task is done; the next stage opens, or the item is complete with its last task."""
    require_permission(acting_user, RequestPermission.FULFIL)
    with transaction.atomic():
        request = lock_current(task.requested_item.request, None)
        current = lock_current(task, expected_version)
        _require_open_task(current)
        changes: dict[str, tuple[Any, Any]] = {"state": (current.state, TaskState.COMPLETE)}
        current.state, current.closed_at = TaskState.COMPLETE, timezone.now()
        changes["closed_at"] = (None, current.closed_at)
        said = {"notes": (None, notes)} if notes.strip() else {}
        save_versioned(
            current, changes, action="updated", acting_user=acting_user, channel=channel,
            notes=said,
        )  # fmt: skip
        item = current.requested_item
        if fulfilment.advance(item, acting_user=acting_user, channel=channel):
            item_changes = _close_items([item], ItemState.COMPLETE)
            _settle(request, item_changes, acting_user, channel, notes={})
    return current


def _require_open_task(task: FulfilmentTask) -> None:
    if task.state not in (TaskState.OPEN, TaskState.IN_PROGRESS):
        raise ValidationError({"state": f"{task.number} is {task.get_state_display().lower()}."})


def _open_states() -> tuple[ItemState, ...]:
    return (ItemState.AWAITING_APPROVAL, ItemState.IN_FULFILMENT)


def _close_items(items: list[RequestedItem], state: ItemState) -> dict[str, tuple[Any, Any]]:
    now = timezone.now()
    changes: dict[str, tuple[Any, Any]] = {}
    for item in items:
        changes[f"items.{item.position}.state"] = (item.state, state)
        item.state, item.closed_at = state, now
        item.save(update_fields=["state", "closed_at"])
        if state == ItemState.COMPLETE:
            for _receiver, outcome in item_delivered.send(sender=RequestedItem, item=item):
                if outcome:  # what a receiver did, e.g. the grant it wrote to the register
                    changes[f"items.{item.position}.delivered"] = (None, outcome)
    return changes


def _settle(
    request: ServiceRequest,
    changes: dict[str, tuple[Any, Any]],
    acting_user: Any,
    channel: str,
    *,
    notes: Mapping[str, tuple[Any, Any]],
) -> None:
    """The request's own state from its items', saved with the items' changes in one entry."""
    own: dict[str, tuple[Any, Any]] = {}
    state = request_state(request.items.values_list("state", flat=True))
    if state != request.state:
        own["state"] = (request.state, state)
        request.state = state
        if state != RequestState.OPEN:
            own["closed_at"] = (request.closed_at, timezone.now())
            request.closed_at = own["closed_at"][1]
    save_versioned(
        request, own, action="updated", acting_user=acting_user, channel=channel,
        notes={**changes, **notes},
    )  # fmt: skip
    surveys.request_closed(request, acting_user=acting_user, channel=channel)


def _require_may_order_for(acting_user: Any, recipient: Any) -> None:
    if recipient.pk == acting_user.pk:
        return
    if not recipient.is_active:
        raise ValidationError({"requested_for": f"{recipient.username} is not an active user."})
    is_manager = recipient.manager_id == acting_user.pk
    if not (is_manager or acting_user.has_perm(RequestPermission.ORDER_FOR_OTHERS)):
        raise PermissionDenied("Only the service desk or their manager may order for someone else.")


def _require_requester_or_fulfiler(acting_user: Any, request: ServiceRequest) -> None:
    if acting_user.pk in (request.requested_by_id, request.requested_for_id):
        return
    if not acting_user.has_perm(RequestPermission.FULFIL):
        raise PermissionDenied("Only who ordered it, the person it is for, or a fulfiler may.")


def _checked_lines(recipient: Any, lines: Sequence[Line]) -> list[dict[str, Any]]:
    """Each line's stored answers; every problem of every line raised at once."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValidationError({"items": f"Order between 1 and {MAX_LINES} items."})
    allowed = set(orderable_items(recipient).values_list("pk", flat=True))
    errors: dict[str, Any] = {}
    cleaned = []
    for number, line in enumerate(lines, 1):
        prefix = f"items.{number}"
        if line.item.pk not in allowed:
            errors[f"{prefix}.item"] = f"{line.item} is not in {recipient.username}'s catalog."
        elif refusals := checks.problems(recipient, line.item):
            errors[f"{prefix}.item"] = " ".join(refusals)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors[f"{prefix}.quantity"] = f"Between 1 and {MAX_QUANTITY}."
        try:
            answers = clean_answers(line.item.variables.all(), line.answers)
        except ValidationError as problem:
            errors.update({f"{prefix}.{k}": v for k, v in problem.message_dict.items()})
            answers = {}
        else:
            found = checks.answer_problems(recipient, line.item, answers)
            errors.update({f"{prefix}.{k}": v for k, v in found.items()})
        cleaned.append(answers)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _summary(lines: Sequence[Line]) -> str:
    first = lines[0].item.name
    others = len(lines) - 1
    return first if not others else f"{first} and {others} more item{'s' if others > 1 else ''}"


def _described(item: RequestedItem) -> dict[str, Any]:
    return {
        "position": item.position,
        "item": item.catalog_item.name,
        "quantity": item.quantity,
        "answers": item.answers,
        "state": item.state,
    }
