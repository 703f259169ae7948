"""The active SLA definitions, loaded once per change of configuration and matched to records.

Loading a definition means its targets, actions, calendar hours, holidays and exceptions: a
dozen queries. They change rarely, so the loaded set is kept per process and reloaded when
``configuration_stamp()`` (one query over the definitions' and calendars' history heads)
differs; every change to them goes through ``sla.actions``, which records history.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum

from watchkeeper.sla.choices import AgreementKind, Metric, RecordType
from watchkeeper.sla.clock import Rules
from watchkeeper.sla.models import Calendar, SlaDefinition
from watchkeeper.sla.working_time import WorkingTime

DEFAULT_THRESHOLDS = (50, 75, 90)
VENDOR_HOLD = "awaiting_vendor"


@dataclass(frozen=True)
class Loaded:
    """A definition ready to match and compute with."""

    definition: SlaDefinition
    rules: Rules
    hours: WorkingTime
    priorities: frozenset[int]
    channels: frozenset[str]
    services: frozenset[int]
    caller_groups: frozenset[int]
    assignment_groups: frozenset[int]
    #: percent -> [(action, group id or None)]
    actions: dict[int, list[tuple[str, int | None]]] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        return self.definition.pk

    def applies_to(
        self, incident: Any, caller_groups: Iterable[int], groups_seen: set[int]
    ) -> bool:
        """Does this definition govern ``incident``? Empty conditions match everything; an OLA
        applies once one of its groups has held the record."""
        if self.priorities and incident.priority not in self.priorities:
            return False
        if incident.priority not in self.rules.targets and None not in self.rules.targets:
            return False  # no target for this priority: the definition does not speak to it
        if self.channels and incident.channel not in self.channels:
            return False
        touched = {incident.service_id, incident.configuration_item_id}
        if self.services and not self.services & touched:
            return False
        if self.caller_groups and not self.caller_groups & set(caller_groups):
            return False
        return not self.assignment_groups or bool(self.assignment_groups & groups_seen)


def _load(definition: SlaDefinition, calendars: dict[int, WorkingTime]) -> Loaded:
    if definition.calendar_id not in calendars:
        calendars[definition.calendar_id] = definition.calendar.working_time()
    targets = {t.priority: t.minutes * 60.0 for t in definition.targets.all()}
    actions: dict[int, list[tuple[str, int | None]]] = {}
    for action in definition.actions.all():
        actions.setdefault(action.percent, []).append((action.action, action.group_id))
    groups = frozenset(g.pk for g in definition.assignment_groups.all())
    thresholds = tuple(sorted({int(p) for p in definition.thresholds or DEFAULT_THRESHOLDS}))
    is_uc = definition.kind == AgreementKind.UC
    rules = Rules(
        metric=Metric(definition.metric),
        targets=targets,
        pause_reasons=frozenset(definition.pause_reasons or ()),
        pause_states=frozenset(definition.pause_states or ()),
        thresholds=tuple(p for p in thresholds if 0 < p < 100),
        groups=groups if definition.kind == AgreementKind.OLA else frozenset(),
        runs_only_on_hold=VENDOR_HOLD if is_uc else "",
    )
    return Loaded(
        definition=definition,
        rules=rules,
        hours=calendars[definition.calendar_id],
        priorities=frozenset(int(p) for p in definition.priorities or ()),
        channels=frozenset(str(c) for c in definition.channels or ()),
        services=frozenset(s.pk for s in definition.services.all()),
        caller_groups=frozenset(g.pk for g in definition.caller_groups.all()),
        assignment_groups=groups,
        actions=actions,
    )


def load_one(definition: SlaDefinition) -> Loaded:
    """One definition, active or not (to explain a clock it ran)."""
    return _load(definition, {})


def configuration_stamp() -> tuple[Any, ...]:
    """Changes whenever a definition or calendar is added, removed or changed (through the
    actions, which append history). The sum of ids tells a deleted definition from a new one
    that happens to have as much history (ids are never reused)."""
    stamp = {"n": Count("pk"), "h": Sum("history_length"), "ids": Sum("pk")}
    definitions = SlaDefinition.objects.aggregate(**stamp)
    calendars = Calendar.objects.aggregate(**stamp)
    return (*definitions.values(), *calendars.values())


_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"stamp": None, "loaded": []}


def active() -> list[Loaded]:
    """Every active definition, loaded (from the process's cache while nothing changed)."""
    stamp = configuration_stamp()
    with _cache_lock:
        if _cache["stamp"] == stamp:
            return list(_cache["loaded"])
    found = (
        SlaDefinition.objects.filter(is_active=True, record_type=RecordType.INCIDENT)
        .select_related("calendar")
        .prefetch_related(
            "targets",
            "actions",
            "services",
            "caller_groups",
            "assignment_groups",
            "calendar__hours",
            "calendar__holidays",
            "calendar__exceptions",
        )
    )
    calendars: dict[int, WorkingTime] = {}
    loaded = [_load(definition, calendars) for definition in found if definition.targets.all()]
    with _cache_lock:
        _cache.update(stamp=stamp, loaded=loaded)
    return list(loaded)


def forget() -> None:
    """Drop the cache (tests that change configuration without the actions)."""
    with _cache_lock:
        _cache.update(stamp=None, loaded=[])
