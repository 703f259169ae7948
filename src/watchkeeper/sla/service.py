"""Keeping SLA clocks in step with records: refresh one record, recompute many, fire what is due.

``refresh(incident)`` runs in the transaction of every incident change (the incident actions
call it): it reads the incident's history, computes each applicable definition's clock and
stores it, so the stored clock is never behind the record. ``recompute`` does the same for many
records in batches (after a calendar or definition changes, or by command). ``fire_due`` is the
per-minute job: it takes only clocks whose next threshold has come (an indexed column) and
acts on each threshold once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.core import bulk
from watchkeeper.core.models import HistoryEntry
from watchkeeper.incidents.models import Incident
from watchkeeper.sla import definitions
from watchkeeper.sla.choices import ClockStatus
from watchkeeper.sla.clock import Clock, Snapshot, compute
from watchkeeper.sla.models import SlaClock
from watchkeeper.sla.timeline import parse_instant, snapshots

#: Incident fields whose change can change a clock (state, pauses, target, which SLAs apply).
SLA_FIELDS = frozenset(
    {
        "state", "hold_reason", "priority", "assignment_group", "first_response_at", "channel",
        "service", "configuration_item", "caller",
    }
)  # fmt: skip
SAVED_FIELDS = [
    "status",
    "elapsed_seconds",
    "target_seconds",
    "started_at",
    "due_at",
    "breached_at",
    "stopped_at",
    "marks",
    "next_event_at",
    "computed_at",
]
NEW_FIELDS = ["definition", "content_type", "object_id", "fired", *SAVED_FIELDS]


def incident_type() -> ContentType:
    return ContentType.objects.get_for_model(Incident)


def timeline_of(incident: Incident) -> list[Snapshot]:
    entries = (
        HistoryEntry.objects.filter(content_type=incident_type(), object_id=str(incident.pk))
        .order_by("sequence")
        .values_list("at", "changes")
    )
    return snapshots(entries, incident.first_response_at)


def _groups_seen(timeline: Sequence[Snapshot]) -> set[int]:
    return {point.group for point in timeline if point.group is not None}


def _caller_groups(incident: Incident) -> list[int]:
    return list(
        SupportGroup.objects.filter(members=incident.caller_id).values_list("pk", flat=True)
    )


def refresh(incident: Incident, *, now: dt.datetime | None = None) -> list[SlaClock]:
    """Recompute and store ``incident``'s clocks from its history; returns them."""
    now = now or timezone.now()
    loaded = definitions.active()
    existing = {clock.definition_id: clock for clock in SlaClock.objects.for_record(incident)}
    if not loaded and not existing:
        return []
    timeline = timeline_of(incident)
    if not timeline:
        return []  # not written through the actions yet (an import in progress)
    callers = _caller_groups(incident) if any(d.caller_groups for d in loaded) else []
    clocks = _clocks(incident, timeline, loaded, existing, callers, now)
    _save(clocks)
    _schedule_near(clocks, now)
    return clocks


#: A threshold closer than this gets its own exact-time job (the sweep runs once a minute).
NEAR = dt.timedelta(seconds=60)


def _schedule_near(clocks: Sequence[SlaClock], now: dt.datetime) -> None:
    from watchkeeper.core.jobs import schedule
    from watchkeeper.sla.tasks import fire_clock_thresholds

    def at(eta: dt.datetime, pk: int) -> Callable[[], object]:
        return lambda: schedule(fire_clock_thresholds, eta, pk)

    for clock in clocks:
        eta = clock.next_event_at
        if eta is not None and now < eta <= now + NEAR:
            transaction.on_commit(at(eta, clock.pk), robust=True)


def _clocks(
    incident: Incident,
    timeline: Sequence[Snapshot],
    loaded: Sequence[definitions.Loaded],
    existing: dict[int, SlaClock],
    caller_groups: Iterable[int],
    now: dt.datetime,
) -> list[SlaClock]:
    """The incident's clocks as they are now: the applicable ones computed, others cancelled."""
    seen, result = _groups_seen(timeline), []
    applicable = {d.pk: d for d in loaded if d.applies_to(incident, caller_groups, seen)}
    for pk, definition in applicable.items():
        clock = compute(timeline, definition.rules, definition.hours, now, explain=False)
        stored = existing.get(pk) or SlaClock(
            definition_id=pk, content_type=incident_type(), object_id=incident.pk, fired=[]
        )
        _store(stored, clock, timeline[0].at, now)
        result.append(stored)
    for pk, stored in existing.items():
        if pk not in applicable and stored.status != ClockStatus.CANCELLED:
            stored.status, stored.due_at, stored.next_event_at = ClockStatus.CANCELLED, None, None
            stored.stopped_at, stored.computed_at = now, now
            result.append(stored)
    return result


def _store(stored: SlaClock, clock: Clock, started_at: dt.datetime, now: dt.datetime) -> None:
    stored.status = clock.status
    stored.elapsed_seconds = clock.elapsed
    stored.target_seconds = clock.target
    stored.started_at = started_at
    stored.due_at = clock.due_at
    breached = clock.breached_at
    stored.breached_at = breached if breached is not None and breached <= now else None
    stored.stopped_at = clock.stopped_at
    stored.marks = {str(p): at.isoformat() for p, at in sorted(clock.marks.items())}
    stored.computed_at = now
    stored.next_event_at = next_event(stored)


def next_event(clock: SlaClock) -> dt.datetime | None:
    """The earliest threshold not yet acted on: one reached already (even if the clock has
    stopped since, a breach that happened is acted on), or one predicted while it runs."""
    if clock.status == ClockStatus.CANCELLED:
        return None
    pending = [
        instant
        for percent, at in clock.marks.items()
        if int(percent) not in clock.fired
        and (instant := parse_instant(at)) is not None
        and (clock.status == ClockStatus.RUNNING or instant <= clock.computed_at)
    ]
    return min(pending, default=None)


def explain(incident: Incident, *, now: dt.datetime | None = None) -> list[tuple[SlaClock, Clock]]:
    """Each stored clock of ``incident`` with its intervals, recomputed from the history (what
    the record page and the API show; the stored figures are what queues and the job use)."""
    now = now or timezone.now()
    stored = list(
        SlaClock.objects.for_record(incident)
        .select_related("definition__calendar")
        .prefetch_related("definition__calendar__holidays", "definition__calendar__exceptions")
        .order_by("definition__name")
    )
    if not stored:
        return []
    timeline = timeline_of(incident)
    active = {loaded.pk: loaded for loaded in definitions.active()}
    result = []
    for clock in stored:
        definition = active.get(clock.definition_id) or definitions.load_one(clock.definition)
        result.append((clock, compute(timeline, definition.rules, definition.hours, now)))
    return result


def _save(clocks: Sequence[SlaClock]) -> None:
    new = [clock for clock in clocks if clock.pk is None]
    old = [clock for clock in clocks if clock.pk is not None]
    if new:
        SlaClock.objects.bulk_create(new)
    if old:
        SlaClock.objects.bulk_update(old, SAVED_FIELDS)


#: What matching and computing read of an incident (recompute loads only these).
MATCHED_FIELDS = (
    "id", "priority", "channel", "service_id", "configuration_item_id", "caller_id",
    "first_response_at",
)  # fmt: skip
BATCH = 2000


def recompute(incidents: QuerySet[Incident], *, now: dt.datetime | None = None) -> int:
    """Recompute the clocks of ``incidents`` in batches: per batch one query for the
    incidents, one for their history, one for their clocks and two plain bulk writes.
    Returns the number of clocks written."""
    now = now or timezone.now()
    loaded = definitions.active()
    written, batch = 0, []
    rows = incidents.order_by("pk").only(*MATCHED_FIELDS).iterator(chunk_size=BATCH)
    for incident in rows:
        batch.append(incident)
        if len(batch) == BATCH:
            written += _recompute_batch(batch, loaded, now)
            batch = []
    if batch:
        written += _recompute_batch(batch, loaded, now)
    return written


def _memberships(batch: Sequence[Incident]) -> dict[int, list[int]]:
    """Each caller's support groups, for the whole batch in one query."""
    through = SupportGroup.members.through
    pairs = through.objects.filter(user_id__in={i.caller_id for i in batch})
    groups: dict[int, list[int]] = defaultdict(list)
    for user_id, group_id in pairs.values_list("user_id", "supportgroup_id"):
        groups[user_id].append(group_id)
    return groups


def _recompute_batch(
    batch: Sequence[Incident], loaded: Sequence[definitions.Loaded], now: dt.datetime
) -> int:
    ids = [str(incident.pk) for incident in batch]
    entries: dict[str, list[tuple[dt.datetime, Any]]] = defaultdict(list)
    rows = (
        HistoryEntry.objects.filter(content_type=incident_type(), object_id__in=ids)
        .order_by("object_id", "sequence")
        .values_list("object_id", "at", "changes")
    )
    for object_id, at, changes in rows:
        entries[object_id].append((at, changes))
    existing: dict[int, dict[int, SlaClock]] = defaultdict(dict)
    found = SlaClock.objects.filter(
        content_type=incident_type(), object_id__in=[incident.pk for incident in batch]
    )
    for clock in found:
        existing[clock.object_id][clock.definition_id] = clock
    groups = _memberships(batch) if any(d.caller_groups for d in loaded) else {}
    clocks: list[SlaClock] = []
    for incident in batch:
        timeline = snapshots(entries[str(incident.pk)], incident.first_response_at)
        if timeline:
            callers = groups.get(incident.caller_id, [])
            clocks.extend(_clocks(incident, timeline, loaded, existing[incident.pk], callers, now))
    with transaction.atomic():
        bulk.insert(SlaClock, NEW_FIELDS, [clock for clock in clocks if clock.pk is None])
        bulk.update(SlaClock, SAVED_FIELDS, [clock for clock in clocks if clock.pk is not None])
    return len(clocks)
