"""Every write to findings, each with its entry in the finding's hash-chained history.

The runner opens, reopens and resolves findings in batches (one transaction each, the history
built with ``core.history_bulk`` and inserted at once); a person responds to one finding at a
time: remediated (with a note) or risk accepted (with a reason). Seeing a finding again only
moves ``last_found_at``, without a history entry: the runs (``AuditRun``) keep that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.audit.checks import Deviation, chunks
from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.audit.models import Finding
from watchkeeper.audit.permissions import AuditPermission
from watchkeeper.core import bulk
from watchkeeper.core.choices import Channel
from watchkeeper.core.history_bulk import ENTRY_FIELDS, Change, chain
from watchkeeper.core.models import HistoryEntry
from watchkeeper.core.numbering import reserve_numbers
from watchkeeper.core.records import lock_current, save_versioned

BATCH = 500
HEAD = ["history_length", "history_hash"]


@dataclass(frozen=True)
class NewFinding:
    deviation: Deviation
    owner: Any


def open_findings(
    check_key: str,
    new: Sequence[NewFinding],
    *,
    now: dt.datetime,
    due_on: dt.date,
    actor: Any,
    channel: str,
) -> list[Finding]:
    """Create a finding for each of ``new``, in batches; returns them."""
    created: list[Finding] = []
    for start in range(0, len(new), BATCH):
        with transaction.atomic():
            batch = new[start : start + BATCH]
            created.extend(_open(check_key, batch, now, due_on, actor, channel))
    return created


def _open(
    check_key: str,
    new: Sequence[NewFinding],
    now: dt.datetime,
    due_on: dt.date,
    actor: Any,
    channel: str,
) -> list[Finding]:
    numbers = reserve_numbers(Finding.NUMBER_PREFIX, len(new))
    findings = [
        Finding(
            number=number, check_key=check_key,
            content_type=ContentType.objects.get_for_model(one.deviation.model),
            object_id=one.deviation.object_id, record_label=one.deviation.label[:200],
            summary=one.deviation.summary, owner=one.owner, due_on=due_on,
            state=FindingState.OPEN, first_found_at=now, last_found_at=now,
        )
        for number, one in zip(numbers, new, strict=True)
    ]  # fmt: skip
    Finding.objects.bulk_create(findings)
    ids = dict(Finding.objects.filter(number__in=numbers).values_list("number", "pk"))
    entries: list[HistoryEntry] = []
    for finding in findings:
        finding.pk = ids[finding.number]
        created = {
            "check_key": (None, check_key), "record": (None, finding.record_label),
            "summary": (None, finding.summary), "owner": (None, finding.owner),
            "due_on": (None, due_on), "state": (None, FindingState.OPEN),
        }  # fmt: skip
        change = Change(at=now, action="created", changes=created, actor=actor)
        entries.extend(chain(finding, [change], channel=channel))
    bulk.insert(HistoryEntry, ENTRY_FIELDS, entries)
    bulk.update(Finding, HEAD, findings)
    return findings


def mark_seen(ids: Sequence[int], now: dt.datetime) -> None:
    """Still found: ``last_found_at`` moves (no history entry; the run records it)."""
    for chunk in chunks(sorted(ids)):
        Finding.objects.filter(pk__in=chunk).update(last_found_at=now)


def resolve_gone(ids: Sequence[int], *, now: dt.datetime, actor: Any, channel: str) -> int:
    """Active findings the check no longer finds are resolved; returns how many."""
    return _transition(ids, ACTIVE_STATES, FindingState.RESOLVED, "resolved", now, actor, channel)


def reopen_found(ids: Sequence[int], *, now: dt.datetime, actor: Any, channel: str) -> int:
    """Remediated findings the check finds again are open again; returns how many."""
    states = (FindingState.REMEDIATED,)
    return _transition(ids, states, FindingState.OPEN, "reopened", now, actor, channel)


def _transition(
    ids: Sequence[int],
    states: Sequence[str],
    target: str,
    action: str,
    now: dt.datetime,
    actor: Any,
    channel: str,
) -> int:
    moved = 0
    for chunk in chunks(sorted(ids), BATCH):
        with transaction.atomic():
            rows = Finding.objects.select_for_update().filter(pk__in=chunk, state__in=states)
            findings = list(rows.order_by("pk"))
            entries: list[HistoryEntry] = []
            for finding in findings:
                changes: dict[str, tuple[Any, Any]] = {"state": (finding.state, target)}
                closes = target == FindingState.RESOLVED
                if closes:
                    changes["closed_at"] = (None, now)
                finding.state, finding.closed_at = target, now if closes else None
                finding.version, finding.updated_at = finding.version + 1, now
                change = Change(at=now, action=action, changes=changes, actor=actor)
                entries.extend(chain(finding, [change], channel=channel))
            bulk.insert(HistoryEntry, ENTRY_FIELDS, entries)
            fields = ["state", "closed_at", "version", "updated_at", *HEAD]
            bulk.update(Finding, fields, findings)
            moved += len(findings)
    return moved


def may_respond(user: Any, finding: Finding) -> bool:
    """The finding's owner, or a holder of ``audit.respond`` (never an auditor as such)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(finding.owner_id == user.pk or user.has_perm(AuditPermission.RESPOND))


def _require_respond(user: Any, finding: Finding) -> None:
    if not may_respond(user, finding):
        raise PermissionDenied("Only the finding's owner or a process manager may respond.")


def remediate(
    finding: Finding,
    *,
    note: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Finding:
    """The owner says it is dealt with; the next run resolves it, or opens it again."""
    _require_respond(acting_user, finding)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what was done to remediate it."})
    with transaction.atomic():
        current = lock_current(finding, expected_version)
        if current.state != FindingState.OPEN:
            raise ValidationError(
                {"state": f"{current.number} is {current.get_state_display().lower()}: only an "
                 "open finding can be marked remediated."}
            )  # fmt: skip
        changes = {
            "state": (current.state, FindingState.REMEDIATED),
            "response": (current.response, note),
        }
        current.state, current.response = FindingState.REMEDIATED, note
        save_versioned(
            current, changes, action="remediated", acting_user=acting_user, channel=channel
        )
    return current


def accept_risk(
    finding: Finding,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Finding:
    """The risk is accepted, with a reason: the finding closes and is not reported again."""
    _require_respond(acting_user, finding)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the risk is accepted."})
    with transaction.atomic():
        current = lock_current(finding, expected_version)
        if current.state not in ACTIVE_STATES:
            raise ValidationError(
                {"state": f"{current.number} is {current.get_state_display().lower()}: only an "
                 "open or remediated finding can be accepted."}
            )  # fmt: skip
        now = timezone.now()
        changes = {
            "state": (current.state, FindingState.ACCEPTED),
            "response": (current.response, reason),
            "closed_at": (None, now),
        }
        current.state, current.response, current.closed_at = FindingState.ACCEPTED, reason, now
        save_versioned(
            current, changes, action="risk_accepted", acting_user=acting_user, channel=channel
        )
    return current
