"""The raw payloads of events are kept ``WATCHKEEPER_EVENTS_RAW_DAYS`` days (default 7): enough
to see what a tool really sent while an alert is worked, without keeping every payload for good.
The normalised event stays (alert history and noise figures are computed from it)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from watchkeeper.events.models import Event

BATCH = 5_000


def raw_days() -> int:
    return int(getattr(settings, "EVENTS_RAW_DAYS", 7))


def purge_raw(now: dt.datetime | None = None) -> int:
    """Drop the raw payloads older than the retention, in batches; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=raw_days())
    old = Event.objects.filter(received_at__lt=cutoff, raw__isnull=False)
    purged = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        purged += Event.objects.filter(pk__in=ids).update(raw=None)
    return purged
