"""Incident management checks: resolution notes, priority overrides, post-incident reviews,
SLA breaches and reassignments.

Each reads the incident table once with the filters below (plus one query for the SLA clocks or
the matrix); none loads an incident object, only the few columns a finding needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Trim

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import config
from watchkeeper.audit.checks import Deviation, chunks, register
from watchkeeper.incidents.choices import ITIL_MATRIX, IncidentState, Priority
from watchkeeper.incidents.models import Activity, Incident, PostIncidentReview, PriorityRule
from watchkeeper.sla.choices import ClockStatus
from watchkeeper.sla.models import SlaClock

#: A comment or work note that starts so (any case) records why the SLA was breached.
BREACH_REASON_TAG = "SLA breach:"
COLUMNS = ("pk", "number", "assignment_group__manager_id")
GROUP_MANAGER = "the assignment group's manager, else an incident manager"
FULL_SCAN = "One pass over the incident table (no index narrows it); about a second per million."


def _deviations(
    incidents: QuerySet[Incident],
    summary: Callable[[dict[str, Any]], str],
    extra: tuple[str, ...] = (),
    owners: tuple[str, ...] = ("assignment_group__manager_id",),
) -> list[Deviation]:
    rows = incidents.order_by("pk").values(*COLUMNS, *extra, *owners)
    return [
        Deviation(
            Incident,
            str(row["pk"]),
            row["number"],
            summary(row),
            tuple(row[name] for name in owners),
        )
        for row in rows.iterator(chunk_size=2000)
    ]


@register(
    "incidents.resolved_without_notes",
    title="Incidents resolved without resolution notes",
    description="An incident that is resolved or closed and whose resolution notes are empty "
    "(or only spaces). Canceled incidents are not counted.",
    process="incidents",
    owner_rule=GROUP_MANAGER,
    manager_role=Role.INCIDENT_MANAGER,
    cost=FULL_SCAN,
)
def resolved_without_notes(now: dt.datetime) -> list[Deviation]:
    found = (
        Incident.objects.filter(state__in=[IncidentState.RESOLVED, IncidentState.CLOSED])
        .annotate(notes=Trim("resolution_notes"))
        .filter(notes="")
    )
    states = dict(IncidentState.choices)
    return _deviations(
        found,
        lambda row: f"{row['number']} is {states[row['state']].lower()} without resolution notes.",
        extra=("state",),
    )


def matrix() -> dict[tuple[int, int], int]:
    """The priority of each impact x urgency cell: the configured rule, else ITIL's."""
    cells = dict(ITIL_MATRIX)
    for rule in PriorityRule.objects.all():
        cells[(rule.impact, rule.urgency)] = rule.priority
    return cells


@register(
    "incidents.priority_override_without_reason",
    title="Priority overridden without a reason",
    description="An incident whose priority differs from the one the impact x urgency matrix "
    "gives (the configured matrix, ITIL's for a cell removed) while its priority override "
    "reason is empty. After a change of the matrix, incidents prioritised by the old one "
    "differ too: accept the risk of those with a reason.",
    process="incidents",
    owner_rule=GROUP_MANAGER,
    manager_role=Role.INCIDENT_MANAGER,
    cost=FULL_SCAN,
)
def priority_override_without_reason(now: dt.datetime) -> list[Deviation]:
    cells = matrix()
    differs = Q()
    for (impact, urgency), priority in cells.items():
        differs |= Q(impact=impact, urgency=urgency) & ~Q(priority=priority)
    found = (
        Incident.objects.filter(differs)
        .annotate(reason=Trim("priority_override_reason"))
        .filter(reason="")
    )
    labels = dict(Priority.choices)

    def summary(row: dict[str, Any]) -> str:
        expected = cells[(row["impact"], row["urgency"])]
        return (
            f"{row['number']} has priority {labels[row['priority']]} where the matrix gives "
            f"{labels[expected]} (impact {row['impact']} x urgency {row['urgency']}), "
            "with no reason recorded."
        )

    return _deviations(found, summary, extra=("impact", "urgency", "priority"))


@register(
    "incidents.major_closed_without_review",
    title="Major incidents closed without a post-incident review",
    description="A major incident that is closed while it has no completed post-incident "
    "review (no review, or one never marked complete).",
    process="incidents",
    owner_rule="the major incident manager, else the assignment group's manager, else an "
    "incident manager",
    manager_role=Role.INCIDENT_MANAGER,
    cost="Reads closed major incidents through the (is_major, state) index: cheap.",
)
def major_closed_without_review(now: dt.datetime) -> list[Deviation]:
    reviewed = PostIncidentReview.objects.filter(
        incident_id=OuterRef("pk"), completed_at__isnull=False
    )
    # ``is_major__in=[True]``, not ``is_major=True``: Django writes the latter as a bare
    # boolean column on SQLite, which cannot use the (is_major, state) index (1 ms, not 2 s).
    majors = Incident.objects.filter(is_major__in=[True], state=IncidentState.CLOSED)
    found = majors.exclude(Exists(reviewed))
    return _deviations(
        found,
        lambda row: (
            f"Major incident {row['number']} was closed without a completed post-incident review."
        ),
        owners=("major_manager_id", "assignment_group__manager_id"),
    )


def _breached_clocks(now: dt.datetime) -> QuerySet[SlaClock]:
    incident_type = ContentType.objects.get_for_model(Incident)
    running_late = Q(status=ClockStatus.RUNNING, due_at__lt=now)
    return SlaClock.objects.filter(content_type=incident_type).filter(
        Q(breached_at__isnull=False) | running_late
    )


def _breached_names(clocks: QuerySet[SlaClock], ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for chunk in chunks(ids):
        rows = clocks.filter(object_id__in=chunk).values_list("object_id", "definition__name")
        for object_id, name in rows.order_by("object_id", "definition__name"):
            names.setdefault(int(object_id), []).append(name)
    return names


@register(
    "incidents.sla_breach_without_reason",
    title="SLA breached without a recorded reason",
    description="An incident with a breached SLA clock (breached, or running past its due "
    f'time) and no comment or work note starting with "{BREACH_REASON_TAG}" (any case), '
    f'e.g. "{BREACH_REASON_TAG} the vendor delivered the part a day late". Such a note is '
    "how the reason for a breach is recorded.",
    process="incidents",
    owner_rule=GROUP_MANAGER,
    manager_role=Role.INCIDENT_MANAGER,
    cost="One pass over the SLA clocks of incidents, then the notes of the breached "
    "incidents by the (incident, created_at) index.",
)
def sla_breach_without_reason(now: dt.datetime) -> list[Deviation]:
    clocks = _breached_clocks(now)
    explained = Activity.objects.filter(
        incident_id=OuterRef("pk"), body__istartswith=BREACH_REASON_TAG
    )
    found = Incident.objects.filter(pk__in=clocks.values("object_id")).exclude(Exists(explained))
    deviations = _deviations(found, lambda row: row["number"])
    names = _breached_names(clocks, [int(d.object_id) for d in deviations])
    return [
        Deviation(
            d.model,
            d.object_id,
            d.label,
            f"{d.label} breached {', '.join(names.get(int(d.object_id), ['its SLA']))} with no "
            f'reason recorded (a note starting "{BREACH_REASON_TAG}").',
            d.owners,
        )
        for d in deviations
    ]


@register(
    "incidents.reassigned_too_often",
    title="Incidents reassigned too often",
    description="An incident moved between assignment groups more times than the limit "
    "(setting AUDIT_REASSIGNMENT_LIMIT, 3 unless configured); its reassignment count says "
    "how often.",
    process="incidents",
    owner_rule=GROUP_MANAGER,
    manager_role=Role.INCIDENT_MANAGER,
    cost=FULL_SCAN,
)
def reassigned_too_often(now: dt.datetime) -> Iterable[Deviation]:
    limit = config.reassignment_limit()
    found = Incident.objects.filter(reassignment_count__gt=limit)
    return _deviations(
        found,
        lambda row: (
            f"{row['number']} was reassigned {row['reassignment_count']} times (the "
            f"limit is {limit})."
        ),
        extra=("reassignment_count",),
    )
