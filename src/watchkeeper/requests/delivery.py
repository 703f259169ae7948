"""The delivery SLA of requested items.

A catalog item may promise delivery within ``delivery_hours`` of working time in its
``delivery_calendar`` (around the clock without one). The clock starts when an item enters
fulfilment — at once when ordered, or when its last approval is given — and ``start_clock``
sets the item's ``due_at`` then (the caller records it in the request's history). The scheduler
runs ``notify_late`` every 15 minutes: each open item past its due time is announced once to
its fulfilment group (else the catalog item's owner), which the request's history records.
Each item is re-read and locked, so two schedulers never send the same news twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.requests.choices import ItemState
from watchkeeper.requests.models import CatalogItem, RequestedItem
from watchkeeper.sla.working_time import WorkingTime

logger = logging.getLogger(__name__)
AROUND_THE_CLOCK = WorkingTime(zone=ZoneInfo("UTC"), always_open=True)

register_kind(
    "request_deliveries",
    "Late request deliveries",
    "A requested item your group fulfils is past the delivery time its catalog item promises.",
)


def due_at(catalog_item: CatalogItem, start: dt.datetime) -> dt.datetime | None:
    """When an item entering fulfilment at ``start`` is due; None when it promises nothing
    (or its calendar never opens long enough)."""
    if catalog_item.delivery_hours is None:
        return None
    calendar = catalog_item.delivery_calendar
    working = calendar.working_time() if calendar is not None else AROUND_THE_CLOCK
    try:
        return working.add(start, catalog_item.delivery_hours * 3600)
    except ValueError:
        logger.warning("%s: calendar %s never opens long enough; no due time", catalog_item,
                       calendar)  # fmt: skip
        return None


def start_clock(item: RequestedItem, now: dt.datetime | None = None) -> dict[str, tuple[Any, Any]]:
    """The item enters fulfilment: its due time is set and saved; the change for the request's
    history (none when the item promises no delivery time)."""
    due = due_at(item.catalog_item, now or timezone.now())
    if due is None:
        return {}
    before = item.due_at
    item.due_at, item.breach_notified_at = due, None
    item.save(update_fields=["due_at", "breach_notified_at"])
    return {f"items.{item.position}.due_at": (before, due)}


def is_overdue(item: RequestedItem, now: dt.datetime | None = None) -> bool:
    """Still being fulfilled, and past its due time."""
    return (
        item.state == ItemState.IN_FULFILMENT
        and item.due_at is not None
        and item.due_at <= (now or timezone.now())
    )


def notify_late(now: dt.datetime | None = None) -> int:
    """Announce each open item past its due time that was not announced yet; how many."""
    now = now or timezone.now()
    late = RequestedItem.objects.filter(
        state=ItemState.IN_FULFILMENT, due_at__lte=now, breach_notified_at__isnull=True
    )
    return sum(_announce(pk, now) for pk in late.values_list("pk", flat=True))


def _announce(pk: int, now: dt.datetime) -> int:
    with transaction.atomic():
        item = (
            RequestedItem.objects.select_for_update()
            .filter(pk=pk, state=ItemState.IN_FULFILMENT, breach_notified_at__isnull=True)
            .filter(due_at__lte=now)
            .first()
        )
        if item is None:
            return 0
        item.breach_notified_at = now
        item.save(update_fields=["breach_notified_at"])
        people = _responsible(item)
        told = {"due_at": item.due_at, "notified": sorted(p.username for p in people)}
        changes = {f"items.{item.position}.overdue": (None, told)}
        record_change(item.request, action="updated", channel=Channel.JOB, changes=changes)
        request = item.request
        notify(
            people,
            kind="request_deliveries",
            subject=f"Overdue: {request.number} {item.catalog_item} for {request.requested_for}",
            template="requests/email/delivery_overdue.txt",
            context={"item": item, "request": request, "group": item.fulfilment_group},
            url=f"/portal/requests/{request.number}/",
        )
    return 1


def _responsible(item: RequestedItem) -> list[Any]:
    """The fulfilment group's active members; without a group, the catalog item's owner."""
    group = item.fulfilment_group
    if group is not None and group.is_active:
        return list(group.members.filter(is_active=True).order_by("pk"))
    owner = item.catalog_item.owner
    return [owner] if owner is not None and owner.is_active else []
