"""Running the checks: each run asks a check what deviates now and brings the findings in step.

A new deviation opens a finding (owner by the check's rule, due ``AUDIT_FINDING_DUE_DAYS``
later); one still found keeps its finding (``last_found_at`` moves, a remediated one opens
again); an active finding no longer found is resolved. A deviation whose finding's risk was
accepted is not reported again. Every run is kept as an ``AuditRun``; a check that fails records
its error there and the others still run. Running twice changes nothing the second time.
Owners hear of their new findings once per run (one message, however many findings).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from watchkeeper.audit import actions, config, owners
from watchkeeper.audit.checks import Check, Deviation, all_checks, get
from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.core.choices import Channel
from watchkeeper.core.notifications import notify, register_kind

log = logging.getLogger(__name__)
ERROR_MAX = 2000

register_kind(
    "audit_findings",
    "Process audit findings",
    "A process audit check found something you own: remediate it or accept the risk.",
)

Key = tuple[int, str]


def check_or_error(key: str) -> Check:
    found = get(key)
    if found is None:
        raise ValidationError({"check": f"There is no check {key!r}."})
    return found


def run_check(
    key: str,
    *,
    started_by: Any = None,
    channel: str = Channel.JOB,
    now: dt.datetime | None = None,
    tell_owners: bool = True,
) -> AuditRun:
    """Run one check and bring its findings in step; the run, with its counts or its error."""
    run, _new = _run(check_or_error(key), started_by, channel, now or timezone.now())
    if tell_owners:
        tell(_new)
    return run


def run_all(
    *, started_by: Any = None, channel: str = Channel.JOB, now: dt.datetime | None = None
) -> list[AuditRun]:
    """Run every check (the daily job); owners hear once of all their new findings."""
    now = now or timezone.now()
    runs, new = [], []
    for check in all_checks():
        run, opened = _run(check, started_by, channel, now)
        runs.append(run)
        new.extend(opened)
    tell(new)
    return runs


def _run(
    check: Check, started_by: Any, channel: str, now: dt.datetime
) -> tuple[AuditRun, list[Finding]]:
    actor = started_by if getattr(started_by, "is_authenticated", False) else None
    run = AuditRun.objects.create(check_key=check.key, started_at=now, started_by=actor)
    new: list[Finding] = []
    try:
        deviations = list(check.find(now))
        new, closed = sync(check, deviations, now=now, actor=actor, channel=channel)
        run.found, run.opened, run.closed = len(deviations), len(new), closed
    except Exception as error:  # a broken check must not stop the others
        log.exception("Audit check %s failed", check.key)
        run.error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    run.finished_at = timezone.now()
    run.save(update_fields=["found", "opened", "closed", "error", "finished_at"])
    return run, new


def _keyed(deviations: Iterable[Deviation]) -> dict[Key, Deviation]:
    keyed: dict[Key, Deviation] = {}
    for deviation in deviations:
        content_type = ContentType.objects.get_for_model(deviation.model)
        keyed.setdefault((content_type.pk, deviation.object_id), deviation)
    return keyed


def sync(
    check: Check, deviations: list[Deviation], *, now: dt.datetime, actor: Any, channel: str
) -> tuple[list[Finding], int]:
    """Bring ``check``'s findings in step with ``deviations``: (the new findings, how many
    were resolved)."""
    found = _keyed(deviations)
    mine = Finding.objects.filter(check_key=check.key)
    accepted = set(
        mine.filter(state=FindingState.ACCEPTED).values_list("content_type_id", "object_id")
    )
    active = {
        (content_type_id, object_id): (pk, state)
        for pk, content_type_id, object_id, state in mine.filter(
            state__in=ACTIVE_STATES
        ).values_list("pk", "content_type_id", "object_id", "state")
    }
    seen = [pk for key, (pk, _state) in active.items() if key in found]
    remediated = FindingState.REMEDIATED
    again = [pk for key, (pk, state) in active.items() if key in found and state == remediated]
    gone = [pk for key, (pk, _state) in active.items() if key not in found]
    fresh = [d for key, d in found.items() if key not in active and key not in accepted]
    actions.mark_seen(seen, now)
    actions.reopen_found(again, now=now, actor=actor, channel=channel)
    closed = actions.resolve_gone(gone, now=now, actor=actor, channel=channel)
    chosen = owners.choose(check, fresh)
    due_on = timezone.localdate(now) + dt.timedelta(days=config.finding_due_days())
    new = actions.open_findings(
        check.key,
        [actions.NewFinding(d, owner) for d, owner in zip(fresh, chosen, strict=True)],
        now=now, due_on=due_on, actor=actor, channel=channel,
    )  # fmt: skip
    return new, closed


def tell(new: list[Finding]) -> int:
    """One message per owner about their new findings; returns the number of owners told."""
    by_owner: dict[Any, list[Finding]] = defaultdict(list)
    for finding in new:
        if finding.owner is not None:
            by_owner[finding.owner].append(finding)
    url = reverse("audit:findings") + "?owner=me&state=active"
    for owner, findings in by_owner.items():
        count = len(findings)
        subject = f"{count} new process audit finding{'s' if count != 1 else ''} for you"
        notify(
            [owner],
            kind="audit_findings",
            subject=subject,
            template="audit/email/new_findings.txt",
            context={"findings": findings, "count": count, "url": url},
            url=url,
        )
    return len(by_owner)
