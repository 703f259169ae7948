"""Incident facts: each incident reduced to what the KPIs read (docs/kpis.md), from the incident,
its SLA clocks, its survey and its history.

The facts are derived: ``refresh_facts`` rebuilds the facts of the incidents changed since the
last refresh (and of those whose survey was answered since), then the monthly cubes of the months
they fall in (``reporting.cubes``), in one transaction, so the dashboards read figures that are
exact as of the refresh; ``rebuild_facts`` rebuilds them all, a batch per transaction. The
dashboards refresh before they read; a periodic job keeps the facts warm and a nightly full
rebuild repairs anything a bulk write slipped past ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.models import HistoryEntry
from watchkeeper.incidents.choices import OPEN_STATES, IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting import cubes
from watchkeeper.reporting.models import FactsState, IncidentFact, Survey
from watchkeeper.sla.choices import AgreementKind, ClockStatus, Metric
from watchkeeper.sla.models import SlaClock

BATCH = 2000
#: Incidents updated this long before the last refresh are read again: a transaction that
#: committed late with an earlier ``updated_at`` is still caught (refreshing twice is harmless).
OVERLAP = dt.timedelta(minutes=5)
INCIDENT_COLUMNS = (
    "id",
    "created_at",
    "priority",
    "assignment_group_id",
    "service_id",
    "configuration_item_id",
    "category_id",
    "channel",
    "state",
    "is_major",
    "resolved_at",
    "first_response_at",
    "reopen_count",
    "reassignment_count",
    "first_contact_resolution",
)


def reporting_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def refresh_facts(*, full: bool = False) -> int:
    """Bring the facts up to date; returns how many incidents were refreshed. Without ``full``
    (and once a first rebuild was made) only the incidents changed since the last refresh are
    read, in one short transaction."""
    if full:
        return rebuild_facts()
    with transaction.atomic():
        state = _state()
        if state.incidents_until is None:
            ids: set[int] | None = None
        else:
            started = timezone.now()
            ids = _changed_ids(state)
            months: set[dt.date] = set()
            for batch in _batches(sorted(ids)):
                months |= _refresh_batch(batch)
            cubes.rebuild(months)
            _advance(state, started)
    return rebuild_facts() if ids is None else len(ids)


def rebuild_facts() -> int:
    """Rebuild every fact, then every month's cubes, a batch (or a month) per transaction: on a
    million incidents this takes minutes, and neither the dashboards' own refreshes nor other
    writers wait for more than one batch. Incidents changed meanwhile are read again by the next
    refresh (the mark is set to when the rebuild started)."""
    started = timezone.now()
    ids = sorted(_all_ids())
    months: set[dt.date] = set()
    for batch in _batches(ids):
        with transaction.atomic():
            _state()  # one batch at a time with any other refresh
            months |= _refresh_batch(batch)
    for month in sorted(months | cubes.months_present()):
        with transaction.atomic():
            _state()
            cubes.rebuild([month])
    with transaction.atomic():
        state = _state()
        if state.incidents_until is None or state.incidents_until < started:
            _advance(state, started)
    return len(ids)


def _advance(state: FactsState, started: dt.datetime) -> None:
    state.incidents_until = started
    state.surveys_until = started
    state.refreshed_at = timezone.now()
    state.save()


def _state() -> FactsState:
    state = FactsState.objects.select_for_update().order_by("pk").first()
    return state or FactsState.objects.create()


def _all_ids() -> set[int]:
    return set(Incident.objects.order_by().values_list("id", flat=True))


def _changed_ids(state: FactsState) -> set[int]:
    assert state.incidents_until is not None
    since = state.incidents_until - OVERLAP
    # order_by(): the incidents' default order would have SQLite walk the created_at index
    changed = Incident.objects.filter(updated_at__gte=since).order_by()
    ids = set(changed.values_list("id", flat=True))
    answered_since = (state.surveys_until or state.incidents_until) - OVERLAP
    ids.update(
        Survey.objects.filter(answered_at__gte=answered_since, incident__isnull=False)
        .order_by()
        .values_list("incident_id", flat=True)
    )
    return ids


def _batches(ids: list[int]) -> Iterator[list[int]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _refresh_batch(ids: list[int]) -> set[dt.date]:
    """Rebuild the facts of ``ids``; returns the months whose cubes must be rebuilt."""
    rows = list(Incident.objects.filter(id__in=ids).values(*INCIDENT_COLUMNS))
    months = set(
        IncidentFact.objects.filter(incident_id__in=ids)
        .values_list("opened_month", flat=True)
        .distinct()
    )
    IncidentFact.objects.filter(incident_id__in=ids).delete()
    clocks = _sla_verdicts(ids)
    imported = _imported_sla_verdicts(ids)
    scores = dict(
        Survey.objects.filter(incident_id__in=ids, score__isnull=False).values_list(
            "incident_id", "score"
        )
    )
    facts = [
        fact_of(row, clocks.get(row["id"], {}), imported.get(row["id"]), scores.get(row["id"]))
        for row in rows
        if row["state"] != IncidentState.CANCELED
    ]
    IncidentFact.objects.bulk_create(facts, batch_size=500)
    return months | {fact.opened_month for fact in facts}


def fact_of(
    row: dict[str, Any],
    clocks: dict[str, bool | None],
    imported_sla: bool | None,
    score: int | None,
) -> IncidentFact:
    """One incident's fact (the definitions of docs/kpis.md, in code)."""
    zone = reporting_zone()
    opened: dt.datetime = row["created_at"]
    local = opened.astimezone(zone)
    resolved_at: dt.datetime | None = row["resolved_at"]
    is_open = row["state"] in OPEN_STATES
    done = not is_open and resolved_at is not None
    ack = row["first_response_at"]
    resolution_sla = imported_sla if imported_sla is not None else clocks.get(Metric.RESOLUTION)
    return IncidentFact(
        incident_id=row["id"],
        opened_at=opened,
        opened_day=local.date(),
        opened_month=local.date().replace(day=1),
        hour_of_week=local.weekday() * 24 + local.hour,
        priority=row["priority"],
        group_id=row["assignment_group_id"],
        service_id=row["service_id"],
        configuration_item_id=row["configuration_item_id"],
        category_id=row["category_id"],
        channel=row["channel"],
        is_open=is_open,
        is_major=row["is_major"],
        resolved_at=resolved_at if done else None,
        resolved_day=resolved_at.astimezone(zone).date() if done and resolved_at else None,
        ack_seconds=_seconds(opened, ack),
        resolve_seconds=_seconds(opened, resolved_at) if done else None,
        reopen_count=row["reopen_count"],
        reassignment_count=row["reassignment_count"],
        first_contact=done and row["first_contact_resolution"],
        first_level=done and row["reassignment_count"] == 0,
        sla_response_met=clocks.get(Metric.RESPONSE),
        sla_resolution_met=resolution_sla,
        satisfaction=score,
    )


def _seconds(start: dt.datetime, end: dt.datetime | None) -> int | None:
    return None if end is None else round((end - start).total_seconds())


def _sla_verdicts(ids: list[int]) -> dict[int, dict[str, bool | None]]:
    """Per incident and metric: met (every SLA clock of that metric stopped without a breach),
    missed (any breached), or absent while a clock still runs unbreached (not decided yet)."""
    content_type = ContentType.objects.get_for_model(Incident)
    rows = SlaClock.objects.filter(
        content_type=content_type,
        object_id__in=ids,
        definition__kind=AgreementKind.SLA,
    ).values_list("object_id", "definition__metric", "status", "breached_at")
    verdicts: dict[int, dict[str, bool | None]] = {}
    undecided: set[tuple[int, str]] = set()
    for object_id, metric, status, breached_at in rows:
        per_metric = verdicts.setdefault(object_id, {})
        if breached_at is not None:
            per_metric[metric] = False
        elif status == ClockStatus.MET:
            per_metric.setdefault(metric, True)
        elif status != ClockStatus.CANCELLED:
            undecided.add((object_id, metric))
    for object_id, metric in undecided:
        if verdicts[object_id].get(metric) is True:
            verdicts[object_id][metric] = None
    return verdicts


def _imported_sla_verdicts(ids: Iterable[int]) -> dict[int, bool | None]:
    """ServiceNow's own verdict (``made_sla``) for imported incidents: the last value their
    history recorded. Incidents made in Watchkeeper have none."""
    content_type = ContentType.objects.get_for_model(Incident)
    entries = (
        HistoryEntry.objects.filter(
            content_type=content_type,
            object_id__in=[str(pk) for pk in ids],
            changes__has_key="made_sla",
        )
        .order_by("object_id", "sequence")
        .values_list("object_id", "changes")
    )
    verdicts: dict[int, bool | None] = {}
    for object_id, changes in entries:
        new = changes["made_sla"].get("new")  # a change is stored as {"old": …, "new": …}
        verdicts[int(object_id)] = {"true": True, "false": False}.get(str(new).lower())
    return verdicts
