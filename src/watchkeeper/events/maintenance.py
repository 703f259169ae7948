"""Maintenance windows: when alerts about an item (or anything a listed service rests on) or with
given labels are expected, they are marked ``in_maintenance`` and open no incident.

A window is open at ``now`` when ``starts_at <= now < ends_at`` and, for a recurring one, the
latest start of its cron ``schedule`` is less than ``duration_minutes`` ago.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from watchkeeper.cmdb.graph import rests_on, walk
from watchkeeper.cmdb.schedule import last_due
from watchkeeper.core.errors import require_permission
from watchkeeper.events.models import MaintenanceWindow
from watchkeeper.events.permissions import EventPermission

#: How far a window's items are followed down (a service covers what it rests on).
COVER_LIMIT = 50_000


def is_open(window: MaintenanceWindow, now: dt.datetime) -> bool:
    if not window.starts_at <= now < window.ends_at:
        return False
    if not window.schedule:
        return True
    start = last_due(window.schedule, now + dt.timedelta(microseconds=1))
    return now < start + dt.timedelta(minutes=window.duration_minutes or 0)


def open_windows(now: dt.datetime) -> list[MaintenanceWindow]:
    candidates = MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
    return [w for w in candidates.prefetch_related("configuration_items") if is_open(w, now)]


def covered_items(window: MaintenanceWindow) -> set[int]:
    """The window's items and everything they rest on."""
    covered: set[int] = set()
    for item in window.configuration_items.all():
        covered.add(item.pk)
        reached, _ = walk(item.pk, rests_on, limit=COVER_LIMIT)
        covered.update(reached)
    return covered


def in_maintenance(ci_id: int | None, labels: Mapping[str, Any], now: dt.datetime) -> bool:
    """Is an alert about ``ci_id`` with ``labels`` inside an open window?"""
    for window in open_windows(now):
        if window.labels and all(labels.get(k) == v for k, v in window.labels.items()):
            return True
        if ci_id is not None and ci_id in covered_items(window):
            return True
    return False


def save_window(
    window: MaintenanceWindow | None,
    *,
    acting_user: Any,
    items: list[Any] | None = None,
    **fields: Any,
) -> MaintenanceWindow:
    """Create or change a window (permission ``events.configure``)."""
    require_permission(acting_user, EventPermission.CONFIGURE)
    window = window or MaintenanceWindow(created_by=acting_user)
    for name, value in fields.items():
        setattr(window, name, value)
    check_window(window)
    with transaction.atomic():
        window.save()
        if items is not None:
            window.configuration_items.set(items)
    return window


def check_window(window: MaintenanceWindow) -> None:
    """Every rule of a window (``MaintenanceWindow.clean`` and the fields)."""
    window.full_clean()


def delete_window(window: MaintenanceWindow, *, acting_user: Any) -> None:
    require_permission(acting_user, EventPermission.CONFIGURE)
    window.delete()
