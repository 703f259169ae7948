"""Acting on warning thresholds and breaches, each exactly once.

The per-minute job (``sla.tasks``) and the exact-time jobs both call ``fire_due``. Each clock
is handled in its own transaction with its row locked: the thresholds reached are added to
``fired`` before the definition's actions run, so a repeated or concurrent run finds nothing
left to do; if an action fails with a database error the transaction rolls back whole and the
next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.core import bulk
from watchkeeper.core.choices import Channel
from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.incidents.choices import FINAL_STATES, Priority
from watchkeeper.incidents.models import Incident
from watchkeeper.sla.choices import ClockStatus, ThresholdAction
from watchkeeper.sla.models import SlaClock
from watchkeeper.sla.service import NEAR, next_event
from watchkeeper.sla.timeline import parse_instant

log = logging.getLogger(__name__)
BATCH = 500
RETIRE_BATCH = 2000
#: A stopped or cancelled clock's threshold older than this is history, not news: it is
#: recorded as fired without its actions (a recompute of old, closed incidents notifies no one).
STALE = dt.timedelta(hours=1)

register_kind(
    "sla_warnings",
    "SLA warnings and breaches",
    "An incident you hold or whose group or service you manage nears or passes its SLA target.",
)


def reached(clock: SlaClock, now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """The thresholds reached by ``now`` and not yet acted on, in order."""
    found = []
    for percent, at in clock.marks.items():
        instant = parse_instant(at)
        if int(percent) not in clock.fired and instant is not None and instant <= now:
            found.append((int(percent), instant))
    return sorted(found)


def fire_due(now: dt.datetime | None = None) -> int:
    """Act on every threshold that has come, and give each threshold due within the next
    minute an exact-time job; returns how many thresholds were acted on."""
    now = now or timezone.now()
    count = retire_stale(now)
    while True:
        due = SlaClock.objects.due(now).order_by("next_event_at")
        ids = list(due.values_list("pk", flat=True)[:BATCH])
        count += sum(fire_clock(pk, now) for pk in ids)
        if len(ids) < BATCH:
            break
    schedule_near(now)
    return count


def retire_stale(now: dt.datetime) -> int:
    """Record, in bulk and without actions, the thresholds of finished clocks that are all
    older than ``STALE``: after an import or ``recompute --all`` there can be a million, and
    one transaction each would keep the first sweep busy for an hour. Returns how many."""
    finished = SlaClock.objects.due(now - STALE).filter(
        status__in=[ClockStatus.MET, ClockStatus.CANCELLED]
    )
    retired = 0
    while rows := list(finished.values_list("pk", "marks", "fired", "breached_at")[:RETIRE_BATCH]):
        changed = []
        for pk, marks, fired, breached_at in rows:
            instants = {int(p): parse_instant(at) for p, at in marks.items()}
            if any(at is not None and at > now - STALE for at in instants.values()):
                continue  # some of it is news: the clock goes through ``fire_clock``
            retired += len(set(instants) - set(fired))
            changed.append(
                SimpleNamespace(
                    id=pk,
                    fired=sorted({*fired, *instants}),
                    breached_at=breached_at or instants.get(100),
                    next_event_at=None,
                )
            )
        with transaction.atomic():
            bulk.update(SlaClock, ["fired", "breached_at", "next_event_at"], changed)
        if len(rows) < RETIRE_BATCH or not changed:
            break
    return retired


def schedule_near(now: dt.datetime) -> None:
    """Exact-time jobs for the thresholds of the coming minute (the sweep runs once a minute)."""
    from watchkeeper.core.jobs import schedule
    from watchkeeper.sla.tasks import fire_clock_thresholds

    coming = SlaClock.objects.filter(next_event_at__gt=now, next_event_at__lte=now + NEAR)
    for pk, eta in coming.values_list("pk", "next_event_at"):
        if eta is not None:
            schedule(fire_clock_thresholds, eta, pk)


def fire_clock(pk: int, now: dt.datetime | None = None) -> int:
    """Act on one clock's thresholds that have come (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        clock = (
            SlaClock.objects.select_for_update(of=("self",))
            .select_related("definition")
            .filter(pk=pk)
            .first()
        )
        if clock is None:
            return 0
        due = reached(clock, now)
        if not due:
            clock.next_event_at = next_event(clock)
            clock.save(update_fields=["next_event_at"])
            return 0
        clock.fired = sorted({*clock.fired, *(percent for percent, _at in due)})
        for percent, at in due:
            if percent == 100 and clock.breached_at is None:
                clock.breached_at = at
        clock.next_event_at = next_event(clock)
        clock.save(update_fields=["fired", "breached_at", "next_event_at"])
        live = clock.status in (ClockStatus.RUNNING, ClockStatus.PAUSED)
        news = [percent for percent, at in due if live or at > now - STALE]
        if not news:
            return len(due)
        incident = Incident.objects.select_related(
            "assignee", "assignment_group__manager", "service__owner"
        ).get(pk=clock.object_id)
        for percent in news:
            for action, group_id in _actions(clock, percent):
                _act(action, group_id, clock, incident, percent)
    return len(due)


def _actions(clock: SlaClock, percent: int) -> list[tuple[str, int | None]]:
    return [(a.action, a.group_id) for a in clock.definition.actions.all() if a.percent == percent]


def _act(
    action: str, group_id: int | None, clock: SlaClock, incident: Incident, percent: int
) -> None:
    name = clock.definition.name
    what = "breached" if percent == 100 else f"reached {percent}% of its target"
    if action == ThresholdAction.RAISE_PRIORITY or action == ThresholdAction.REASSIGN:
        _change(action, group_id, incident, f"SLA {name} {what}")
        return
    recipients: list[Any] = []
    if action == ThresholdAction.NOTIFY_ASSIGNEE:
        if incident.assignee is not None:
            recipients = [incident.assignee]
        elif incident.assignment_group is not None:
            recipients = list(incident.assignment_group.members.all())
    elif action == ThresholdAction.NOTIFY_GROUP_MANAGER and incident.assignment_group:
        recipients = [incident.assignment_group.manager]
    elif action == ThresholdAction.NOTIFY_SERVICE_OWNER and incident.service:
        recipients = [incident.service.owner]
    notify(
        [user for user in recipients if user is not None],
        kind="sla_warnings",
        subject=f"{incident.number}: SLA {name} {what}",
        template="sla/email/threshold.txt",
        context={"incident": incident, "clock": clock, "percent": percent, "what": what},
        url=f"/desk/incidents/{incident.number}/#sla",
    )


def _change(action: str, group_id: int | None, incident: Incident, reason: str) -> None:
    """Raise the priority or reassign, as the system, through the incident actions (so the
    change has its history entry and the clocks are refreshed). A change that no longer makes
    sense (the incident closed, P1 already) is skipped and logged."""
    from watchkeeper.incidents import actions

    if incident.state in FINAL_STATES:
        return
    try:
        if action == ThresholdAction.RAISE_PRIORITY:
            if incident.priority > Priority.CRITICAL:
                actions.override_priority(
                    incident,
                    priority=incident.priority - 1,
                    reason=reason,
                    acting_user=None,
                    channel=Channel.SYSTEM,
                )
        elif group_id is not None and group_id != incident.assignment_group_id:
            actions.assign(
                incident,
                group=SupportGroup.objects.get(pk=group_id),
                acting_user=None,
                channel=Channel.SYSTEM,
            )
    except (ValidationError, PermissionDenied) as error:
        log.warning("SLA action %s on %s skipped: %s", action, incident.number, error)
