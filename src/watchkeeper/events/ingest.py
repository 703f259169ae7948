"""Ingestion: normalised events in, de-duplicated into alerts, in one transaction per request.

Every adapter (our JSON, Alertmanager, Grafana, Zabbix, Nagios) turns its payload into
``Incoming`` events and calls ``ingest``. Within the transaction:

1. events already received (same source and ``external_id``) are dropped: a redelivery counts
   once;
2. each event's key is worked out (``keys.key_for``) and the keys' slot rows are locked, in key
   order: two first events with one key, arriving at once, wait for each other instead of
   making two alerts;
3. events are applied in time order to the key's live alert — opened, counted, escalated, or
   closed by an ``ok``; an event older than the key's last closing joins that closed alert;
4. the events are stored, and the rules act on what changed (``rules.act``).

Openings and closings are written at once (a closed alert must be out of the way of its key's
next one); counts, times, messages and severity are written once per alert per request, and a
severity that moved is recorded once (first to last) — a batch of 1,000 events over 500 keys
writes 500 rows, not 1,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone

from watchkeeper.core import bulk, history_bulk
from watchkeeper.core.choices import Channel
from watchkeeper.events import rules
from watchkeeper.events.choices import LIVE_STATUSES, AlertStatus, Severity
from watchkeeper.events.correlation import correlate
from watchkeeper.events.keys import key_for
from watchkeeper.events.known import Known
from watchkeeper.events.models import Alert, AlertSlot, Event, EventSource

#: What every event changes on its alert (written once per request for each alert).
COUNTED = ["count", "last_seen", "message", "labels", "severity", "closed_at", "updated_at"]
#: The columns of an event row (its id is the database's).
EVENT_COLUMNS = [f.name for f in Event._meta.concrete_fields if not f.primary_key]
#: A key that opens this many alerts within the window is flapping.
FLAP_OPENINGS = 3
FLAP_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Incoming:
    """One event, normalised by an adapter."""

    resource: str
    check: str
    severity: str
    message: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    occurred_at: dt.datetime | None = None
    fingerprint: str = ""
    external_id: str = ""
    raw: Any = None
    received_at: dt.datetime | None = None  # when the API took it (default: when ingested)


@dataclass
class Outcome:
    accepted: int = 0
    duplicates: int = 0
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


def _fresh(source: EventSource, events: Sequence[Incoming]) -> tuple[list[Incoming], int]:
    """``events`` without those received before or repeated in the batch (by ``external_id``)."""
    ids = {event.external_id for event in events if event.external_id}
    known = set(
        Event.objects.filter(source=source, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    fresh, seen = [], set(known)
    for event in events:
        if event.external_id and event.external_id in seen:
            continue
        seen.add(event.external_id)
        fresh.append(event)
    return fresh, len(events) - len(fresh)


def _lock(source: EventSource, keys: list[str]) -> None:
    AlertSlot.objects.bulk_create(
        [AlertSlot(source=source, key=key) for key in keys], ignore_conflicts=True
    )
    list(AlertSlot.objects.select_for_update().filter(source=source, key__in=keys).order_by("key"))


def ingest(
    source: EventSource, events: Sequence[Incoming], *, channel: str = Channel.EVENT
) -> Outcome:
    now = timezone.now()
    outcome = Outcome()
    with transaction.atomic():
        fresh, outcome.duplicates = _fresh(source, events)
        timed = [(event.occurred_at or event.received_at or now, event) for event in fresh]
        keyed = [(key_for(source.key_template, _fields(event)), at, event) for at, event in timed]
        keys = sorted({key for key, _at, _event in keyed})
        _lock(source, keys)
        live = {
            alert.key: alert
            for alert in Alert.objects.filter(source=source, key__in=keys, status__in=LIVE_STATUSES)
        }
        earliest = min((at for _key, at, _event in keyed), default=now)
        history_bulk.forget()  # its remembered labels: a source or item may have been renamed
        known = Known.load(source, keys, earliest, FLAP_WINDOW)
        rows, touched = [], {}
        for key, at, event in sorted(keyed, key=lambda item: item[1]):
            alert = _apply(source, live, known, key, at, event, channel, outcome)
            rows.append(_row(source, alert, key, at, now, event))
            if alert is not None:
                touched[alert.pk] = alert
        _severity_changes(touched.values(), known, channel)
        known.save(channel)
        counted = [alert for alert in touched.values() if getattr(alert, "counted", False)]
        for alert in counted:
            alert.updated_at = now
        bulk.update(Alert, COUNTED, counted)
        bulk.insert(Event, EVENT_COLUMNS, rows)
        outcome.accepted = len(rows)
    return outcome


def _severity_changes(alerts: Iterable[Alert], known: Known, channel: str) -> None:
    """One history entry per alert whose severity moved in this request (first to last), and
    the rules' turn on the new severity (a live alert may now need an incident)."""
    for alert in alerts:
        before = getattr(alert, "severity_before", alert.severity)
        if before == alert.severity:
            continue
        known.note(alert, "updated", {"severity": (before, alert.severity)})
        alert.counted = True  # type: ignore[attr-defined]
        if alert.is_live:
            rules.act(alert, "severity", channel)


def _fields(event: Incoming) -> dict[str, Any]:
    return {
        "resource": event.resource,
        "check": event.check,
        "fingerprint": event.fingerprint,
        "labels": event.labels,
    }


def _row(
    source: EventSource,
    alert: Alert | None,
    key: str,
    at: dt.datetime,
    now: dt.datetime,
    event: Incoming,
) -> SimpleNamespace:
    """An event's column values (a light object: a model instance each costs more than the
    insert)."""
    return SimpleNamespace(
        source_id=source.pk, alert_id=alert.pk if alert else None, external_id=event.external_id,
        key=key, severity=event.severity, resource=event.resource[:300],
        check_name=event.check[:300], message=event.message, labels=event.labels,
        fingerprint=event.fingerprint, occurred_at=at, received_at=event.received_at or now,
        raw=event.raw,
    )  # fmt: skip


def _apply(
    source: EventSource,
    live: dict[str, Alert],
    known: Known,
    key: str,
    at: dt.datetime,
    event: Incoming,
    channel: str,
    outcome: Outcome,
) -> Alert | None:
    alert = live.get(key)
    if alert is None:
        alert = known.closed_after(key, at)
        if alert is not None:  # late news of an alert already over: counted on it
            _update(alert, known, at, event)
        elif event.severity == Severity.OK:
            return None  # an ok for an alert nobody saw
        else:
            alert = _open(source, known, key, at, event, channel)
            live[key] = alert
            outcome.opened.append(alert.number)
            correlate(alert)
            rules.act(alert, "opened", channel)
    elif event.severity == Severity.OK:
        _update(alert, known, at, event, status=AlertStatus.CLOSED)
        known.closings.setdefault(key, []).append((at, alert))
        del live[key]
        outcome.closed.append(alert.number)
        rules.act(alert, "cleared", channel)
    else:
        if event.severity != alert.severity and not hasattr(alert, "severity_before"):
            alert.severity_before = alert.severity  # type: ignore[attr-defined]
        alert.severity = event.severity  # recorded and acted on once, after the request's events
        _update(alert, known, at, event)
    if alert.number not in outcome.alerts:
        outcome.alerts.append(alert.number)
    return alert


def _open(
    source: EventSource, known: Known, key: str, at: dt.datetime, event: Incoming, channel: str
) -> Alert:
    alert = Alert(
        source=source, key=key, severity=event.severity, resource=event.resource[:300],
        check_name=event.check[:300], message=event.message, labels=event.labels,
        first_seen=at, last_seen=at, configuration_item=known.item_named(event.resource),
    )  # fmt: skip
    alert.number = known.next_number()
    alert.flapping = known.openings_since(key, at - FLAP_WINDOW) >= FLAP_OPENINGS - 1
    known.first_seen.setdefault(key, []).append(at)
    alert.save()
    fields = (
        "source",
        "key",
        "severity",
        "resource",
        "check_name",
        "configuration_item",
        "flapping",
    )
    changes = {name: (None, getattr(alert, name)) for name in fields}
    known.note(alert, "created", changes)
    return alert


def _update(alert: Alert, known: Known, at: dt.datetime, event: Incoming, **values: Any) -> None:
    """Count the event on ``alert``; a status or severity change is also recorded in history."""
    changes = {
        name: (getattr(alert, name), v) for name, v in values.items() if getattr(alert, name) != v
    }
    alert.count += 1
    if at >= alert.last_seen:  # the newest event speaks for the alert
        alert.last_seen = at
        alert.message, alert.labels = event.message or alert.message, event.labels or alert.labels
    for name, (_old, new) in changes.items():
        setattr(alert, name, new)
    if values.get("status") == AlertStatus.CLOSED:
        alert.closed_at = at
        changes["closed_at"] = (None, at)
        if alert.shelved_until is not None:  # closed: nothing left to bring back
            changes["shelved_until"] = (alert.shelved_until, None)
            alert.shelved_until = None
    if changes:  # saved at once: a closed alert must be out of the way of the key's next one
        alert.save(update_fields=list(dict.fromkeys([*COUNTED, *changes])))
        known.note(alert, "updated", changes)
    else:  # only counted: written once per request, with the request's other counts
        alert.counted = True  # type: ignore[attr-defined]
