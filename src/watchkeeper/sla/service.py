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
import json
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
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
    "due_at",
    "breached_at",
    "stopped_at",
    "marks",
    "next_event_at",
    "computed_at",
]
NEW_FIELDS = ["definition", "content_type", "object_id", "fired", "started_at", *SAVED_FIELDS]


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


def _new_clock(definition_id: int, incident_id: int) -> Any:
    return SlaClock(
        definition_id=definition_id, content_type=incident_type(), object_id=incident_id, fired=[]
    )


def _row(definition_id: int, incident_id: int) -> Any:
    """A new clock as a plain row, for ``bulk.insert``."""
    return SimpleNamespace(
        pk=None, id=None, definition_id=definition_id, content_type_id=incident_type().pk,
        object_id=incident_id, fired=[],
    )  # fmt: skip


def _clocks(
    incident: Any,
    timeline: Sequence[Snapshot],
    loaded: Sequence[definitions.Loaded],
    existing: dict[int, Any],
    caller_groups: Iterable[int],
    now: dt.datetime,
    new: Callable[[int, int], Any] = _new_clock,
) -> list[Any]:
    """The incident's clocks as they are now: the applicable ones computed, others cancelled."""
    seen, result = _groups_seen(timeline), []
    applicable = {d.pk: d for d in loaded if d.applies_to(incident, caller_groups, seen)}
    for pk, definition in applicable.items():
        clock = compute(timeline, definition.rules, definition.hours, now, explain=False)
        stored = existing.get(pk) or new(pk, incident.pk)
        _store(stored, clock, timeline[0].at, now)
        result.append(stored)
    for pk, stored in existing.items():
        if pk not in applicable and stored.status != ClockStatus.CANCELLED:
            stored.status, stored.due_at, stored.next_event_at = ClockStatus.CANCELLED, None, None
            stored.stopped_at, stored.computed_at = now, now
            result.append(stored)
    return result


def _store(stored: Any, clock: Clock, started_at: dt.datetime, now: dt.datetime) -> None:
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


def next_event(clock: Any) -> dt.datetime | None:
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
    written, last = 0, 0
    ordered = incidents.order_by("pk").values(*MATCHED_FIELDS)
    # Batches by keyset, each read to the end before its write: a cursor left open across the
    # writes would hold a read snapshot that SQLite cannot turn into a write once another
    # connection (a web request, another process) has written.
    while batch := [SimpleNamespace(pk=v["id"], **v) for v in ordered.filter(pk__gt=last)[:BATCH]]:
        written += _recompute_batch(batch, loaded, now)
        last = batch[-1].pk
    return written


def recompute_in_processes(
    incidents: QuerySet[Incident], jobs: int, *, now: dt.datetime | None = None
) -> int:
    """``recompute`` split over ``jobs`` processes, each taking a contiguous range of ids: the
    work is Python, so on N cores it takes about 1/N of the time. The database connections are
    closed first so that each process opens its own."""
    now = now or timezone.now()
    ids = list(incidents.order_by("pk").values_list("pk", flat=True))
    if jobs <= 1 or len(ids) < 2 * BATCH:
        return recompute(incidents, now=now)
    size = -(-len(ids) // jobs)
    ranges = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    # The query goes to the processes, not the queryset: pickling a queryset runs it.
    work = [(incidents.query, low, high, now) for low, high in ranges]
    with context.Pool(len(ranges)) as pool:
        counts = pool.starmap(_recompute_range, work)
    return sum(counts)


def _recompute_range(query: Any, low: int, high: int, now: dt.datetime) -> int:
    incidents = Incident.objects.all()
    incidents.query = query
    try:
        return recompute(incidents.filter(pk__gte=low, pk__lte=high), now=now)
    finally:
        connections.close_all()


def _histories(ids: Sequence[str]) -> dict[str, list[tuple[dt.datetime, Any]]]:
    """(at, changes) of each incident's history, in order, for a batch in one query. Read
    with a plain cursor: the ORM's per-value converters were a third of a recompute."""
    table = HistoryEntry._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = f"SELECT object_id, at, changes FROM {table} WHERE content_type_id = %s "  # noqa: S608
    sql += f"AND object_id IN ({marks}) ORDER BY object_id, sequence"
    entries: dict[str, list[tuple[dt.datetime, Any]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [incident_type().pk, *ids])
        for object_id, at, changes in cursor.fetchall():
            if isinstance(at, str):
                at = dt.datetime.fromisoformat(at)
            if at.tzinfo is None:  # SQLite: naive UTC
                at = at.replace(tzinfo=dt.UTC)
            if isinstance(changes, str | bytes):
                changes = json.loads(changes)
            entries[object_id].append((at, changes))
    return entries


def _memberships(batch: Sequence[Incident]) -> dict[int, list[int]]:
    """Each caller's support groups, for the whole batch in one query."""
    through = SupportGroup.members.through
    pairs = through.objects.filter(user_id__in={i.caller_id for i in batch})
    groups: dict[int, list[int]] = defaultdict(list)
    for user_id, group_id in pairs.values_list("user_id", "supportgroup_id"):
        groups[user_id].append(group_id)
    return groups


def _recompute_batch(
    batch: Sequence[Any], loaded: Sequence[definitions.Loaded], now: dt.datetime
) -> int:
    """One batch of ``recompute``. Incidents and clocks are plain rows here, not model
    instances: building 100,000 of each was a fifth of the time."""
    entries = _histories([str(incident.pk) for incident in batch])
    existing: dict[int, dict[int, Any]] = defaultdict(dict)
    found = SlaClock.objects.filter(
        content_type=incident_type(), object_id__in=[incident.pk for incident in batch]
    ).values_list("id", "definition_id", "object_id", "status", "fired")
    for pk, definition_id, object_id, status, fired in found:
        existing[object_id][definition_id] = SimpleNamespace(
            pk=pk, id=pk, definition_id=definition_id, status=status, fired=fired
        )
    groups = _memberships(batch) if any(d.caller_groups for d in loaded) else {}
    clocks: list[SlaClock] = []
    for incident in batch:
        timeline = snapshots(entries[str(incident.pk)], incident.first_response_at)
        if timeline:
            callers = groups.get(incident.caller_id, [])
            mine = existing[incident.pk]
            clocks.extend(_clocks(incident, timeline, loaded, mine, callers, now, _row))
    with transaction.atomic():
        bulk.insert(SlaClock, NEW_FIELDS, [clock for clock in clocks if clock.pk is None])
        bulk.update(SlaClock, SAVED_FIELDS, [clock for clock in clocks if clock.pk is not None])
    return len(clocks)
