"""Heartbeats: a job or host that must report every N minutes. Its silence past the interval
(and grace) is an event of the heartbeat's severity — an alert, and an incident if the source's
rules say so; the next beat is an ``ok`` event that clears it. This is how backup and cron jobs
that cannot send results are watched."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.events.choices import Severity
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import EventSource, Heartbeat

CHECK = "heartbeat"


def beat(
    source: EventSource,
    name: str,
    *,
    interval_minutes: int | None = None,
    now: dt.datetime | None = None,
) -> Heartbeat:
    """Record a beat (the heartbeat is created on its first one); a late one is cleared."""
    now = now or timezone.now()
    with transaction.atomic():
        heartbeat, _ = Heartbeat.objects.select_for_update().get_or_create(
            source=source, name=name, defaults={"interval_minutes": interval_minutes or 60}
        )
        if interval_minutes and interval_minutes != heartbeat.interval_minutes:
            heartbeat.interval_minutes = interval_minutes
        was_late = heartbeat.late_since is not None
        heartbeat.last_beat_at, heartbeat.late_since = now, None
        heartbeat.save()
        if was_late:
            ingest(source, [_event(heartbeat, Severity.OK, "The heartbeat is back.", now)])
    return heartbeat


def _event(heartbeat: Heartbeat, severity: str, message: str, at: dt.datetime) -> Incoming:
    return Incoming(
        resource=heartbeat.resource or heartbeat.name, check=CHECK, severity=severity,
        message=message, labels={"heartbeat": heartbeat.name}, occurred_at=at,
    )  # fmt: skip


def due(heartbeat: Heartbeat, now: dt.datetime) -> bool:
    """Silent for longer than its interval and grace (counted from its creation if it never
    beat)."""
    since = heartbeat.last_beat_at or heartbeat.created_at
    allowed = dt.timedelta(minutes=heartbeat.interval_minutes + heartbeat.grace_minutes)
    return heartbeat.late_since is None and now - since > allowed


def sweep_heartbeats(now: dt.datetime | None = None) -> int:
    """Raise an event for each heartbeat that fell silent; returns how many. Idempotent: a late
    heartbeat is marked and not raised again until it beats."""
    now = now or timezone.now()
    raised = 0
    for heartbeat in Heartbeat.objects.filter(late_since__isnull=True).select_related("source"):
        if not due(heartbeat, now):
            continue
        with transaction.atomic():
            current = Heartbeat.objects.select_for_update().get(pk=heartbeat.pk)
            if not due(current, now):
                continue
            since = current.last_beat_at or current.created_at
            message = f"No heartbeat from {current.name} since {since:%Y-%m-%d %H:%M} UTC."
            ingest(
                current.source,
                [_event(current, current.severity, message, now)],
                channel=Channel.JOB,
            )
            current.late_since = now
            current.save(update_fields=["late_since"])
            raised += 1
    return raised
