"""Moving an incident through its lifecycle: work, hold, resolve, reopen, close, cancel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of
from watchkeeper.incidents import notifications
from watchkeeper.incidents.actions._common import (
    apply,
    can_work,
    changing,
    is_caller,
    require_caller_or_worker,
    require_work,
    sync,
)
from watchkeeper.incidents.actions.conversation import clean_body, write_activity
from watchkeeper.incidents.choices import (
    OPEN_STATES,
    ActivityKind,
    HoldReason,
    IncidentState,
    ResolutionCode,
)
from watchkeeper.incidents.lifecycle import check_transition
from watchkeeper.incidents.models import Incident, PostIncidentReview
from watchkeeper.reporting import surveys


def _move(
    incident: Incident,
    target: str,
    values: dict[str, Any],
    *,
    action: str,
    acting_user: Any,
    channel: str,
    expected_version: int | None,
    check: Callable[[Incident], None] | None = None,
    notes: dict[str, tuple[Any, Any]] | None = None,
) -> Incident:
    with changing(incident, expected_version) as current:
        if check is not None:
            check(current)
        check_transition(current.state, target)
        values = {"state": target, **values}
        if target != IncidentState.ON_HOLD:
            values.setdefault("hold_reason", "")
        responds = target in (IncidentState.IN_PROGRESS, IncidentState.RESOLVED)
        by_agent = acting_user is not None and can_work(acting_user)
        if responds and by_agent and current.first_response_at is None:
            values["first_response_at"] = timezone.now()
        apply(current, values, action=action, acting_user=acting_user, channel=channel, notes=notes)
    sync(incident, current)
    return incident


def _not_resolved(current: Incident) -> None:
    if current.state == IncidentState.RESOLVED:
        raise ValidationError(
            {"state": f"{current.number} is resolved: reopen it (with a reason) to work on it."}
        )


def start_work(
    incident: Incident,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Start work on a new incident, or resume one on hold (a resolved one is reopened)."""
    require_work(acting_user)
    return _move(
        incident,
        IncidentState.IN_PROGRESS,
        {},
        action="work_started",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
        check=_not_resolved,
    )


def put_on_hold(
    incident: Incident,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    require_work(acting_user)
    if reason not in HoldReason.values:
        raise ValidationError(
            {"reason": f"Hold reason must be one of: {', '.join(HoldReason.values)}."}
        )
    return _move(
        incident,
        IncidentState.ON_HOLD,
        {"hold_reason": reason},
        action="put_on_hold",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
    )


def resolve(
    incident: Incident,
    *,
    code: str,
    notes: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Resolve with a code and notes; open children resolve with it."""
    require_work(acting_user)
    errors = {}
    if code not in ResolutionCode.values:
        errors["code"] = f"Resolution code must be one of: {', '.join(ResolutionCode.values)}."
    if not (notes or "").strip():
        errors["notes"] = "Say how the incident was resolved."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        values: dict[str, Any] = {
            "resolution_code": code,
            "resolution_notes": notes.strip(),
            "resolved_at": timezone.now(),
            "resolved_by": acting_user,
            "first_contact_resolution": _first_contact(locked, acting_user),
        }
        _move(
            incident,
            IncidentState.RESOLVED,
            values,
            action="resolved",
            acting_user=acting_user,
            channel=channel,
            expected_version=expected_version,
        )
        surveys.incident_resolved(incident, acting_user=acting_user, channel=channel)
        for child in incident.children.filter(state__in=OPEN_STATES):
            resolve(
                child,
                code=ResolutionCode.RESOLVED_BY_PARENT,
                notes=f"Resolved with its parent {incident.number}: {notes.strip()}",
                acting_user=acting_user,
                channel=channel,
            )
        notifications.incident_resolved(incident)
    return incident


#: Where the caller is on the line with the agent: the only first contacts.
FIRST_CONTACT_CHANNELS = (Channel.PHONE, Channel.WALK_IN)


def _first_contact(fresh: Incident, acting_user: Any) -> bool:
    """Resolved by the agent who took the call, never reassigned, never on hold or reopened."""
    never_held = not history_of(fresh).filter(action="put_on_hold").exists()
    return bool(
        acting_user is not None
        and fresh.channel in FIRST_CONTACT_CHANNELS
        and fresh.opened_by_id == acting_user.pk
        and fresh.caller_id != acting_user.pk
        and fresh.reassignment_count == 0
        and fresh.reopen_count == 0
        and never_held
    )


def reopen(
    incident: Incident,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """The caller rejects the resolution (or an agent reopens it) while it is resolved.

    The caller may do so only within the auto-close window; after that, and once closed, the
    incident is final and they report a new one. The reason becomes a comment.
    """
    require_caller_or_worker(acting_user, incident)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the incident is not resolved."})
    text = clean_body(reason, "reason")
    values: dict[str, Any] = {
        "resolution_code": "",
        "resolved_at": None,
        "resolved_by": None,
        "first_contact_resolution": False,
    }

    def check(current: Incident) -> None:
        if current.state != IncidentState.RESOLVED:
            raise ValidationError(
                {
                    "state": f"Only a resolved incident can be reopened; {current.number} is "
                    f"{current.get_state_display()}."
                }
            )
        window = dt.timedelta(days=auto_close_days())
        late = current.resolved_at is not None and timezone.now() - current.resolved_at > window
        if late and not can_work(acting_user):
            raise ValidationError(
                {
                    "state": f"{current.number} was resolved more than {window.days} days ago; "
                    "please report a new incident."
                }
            )
        values["reopen_count"] = current.reopen_count + 1

    body = f"Reopened: {text}"
    with transaction.atomic():
        _move(
            incident,
            IncidentState.IN_PROGRESS,
            values,
            action="reopened",
            acting_user=acting_user,
            channel=channel,
            expected_version=expected_version,
            check=check,
            notes={"comment": (None, body[:500])},
        )
        current = Incident.objects.get(pk=incident.pk)
        write_activity(current, ActivityKind.COMMENT, body, acting_user, channel)
    sync(incident, current)
    return incident


def close(
    incident: Incident,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Close a resolved incident: the caller confirms, an agent closes, or the job after N days."""
    if acting_user is not None and not (can_work(acting_user) or is_caller(acting_user, incident)):
        raise PermissionDenied("Only the caller or the service desk can close this incident.")
    return _move(
        incident,
        IncidentState.CLOSED,
        {"closed_at": timezone.now()},
        action="closed",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
        check=_review_done,
    )


def _review_done(current: Incident) -> None:
    if current.is_major and not _review_complete(current):
        raise ValidationError(
            {"review": "A major incident closes only after its post-incident review is complete."}
        )


def _review_complete(incident: Incident) -> bool:
    review = PostIncidentReview.objects.filter(incident_id=incident.pk).first()
    return bool(review and review.is_complete)


def cancel(
    incident: Incident,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Cancel: the caller their own incident, or the service desk any open one."""
    require_caller_or_worker(acting_user, incident)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the incident is canceled."})
    values = {"resolution_notes": f"Canceled: {reason.strip()}", "closed_at": timezone.now()}
    return _move(
        incident,
        IncidentState.CANCELED,
        values,
        action="canceled",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
    )


def auto_close_days() -> int:
    return int(getattr(settings, "INCIDENT_AUTO_CLOSE_DAYS", 7))


def close_resolved_incidents(now: dt.datetime | None = None) -> int:
    """Close what stayed resolved past the window (the periodic job); majors wait for review."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=auto_close_days())
    due = Incident.objects.filter(state=IncidentState.RESOLVED, resolved_at__lte=cutoff)
    closed = 0
    for incident in due.iterator():
        if incident.is_major and not _review_complete(incident):
            continue
        try:
            close(incident, acting_user=None, channel=Channel.JOB)
        except ValidationError:
            continue  # someone reopened it meanwhile: the locked re-read refused the move
        closed += 1
    return closed
