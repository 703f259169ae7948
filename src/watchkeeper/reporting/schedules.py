"""Report schedules: an incident report e-mailed daily, weekly or monthly to chosen people, for
the period that just ended, with the schedule's dashboard filters; and the actions that create,
change, delete and send them (with their history).

Runs are at 06:00 in the reporting time zone (``TIME_ZONE``): daily reports cover yesterday,
weekly ones (Mondays) the last Monday to Sunday, monthly ones (the 1st) the last month. The job
``send_due_reports`` (every 15 minutes) claims each due schedule with a conditional update, so
two workers never both send it; missed runs are not caught up one by one (one report for the
period that just ended, then the next run). A failed send is given back and retried at the job's
next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.incidents.choices import Priority
from watchkeeper.incidents.models import Category
from watchkeeper.reporting.choices import Frequency, ReportFormat
from watchkeeper.reporting.models import ReportSchedule
from watchkeeper.reporting.permissions import ReportingPermission

logger = logging.getLogger(__name__)
RUN_AT = dt.time(6, 0)
FIELDS = ("name", "frequency", "filters", "formats", "recipients", "is_active")
FILTER_KEYS = ("service", "group", "priority", "category")
FILTER_MODELS: dict[str, Any] = {
    "service": ConfigurationItem, "group": SupportGroup, "category": Category,
}  # fmt: skip
NAME_LENGTH = ReportSchedule._meta.get_field("name").max_length or 150
HEADLINES = ("incidents_opened", "backlog", "mttr", "sla_resolution", "satisfaction")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _first_run_day(frequency: str, day: dt.date) -> dt.date:
    """The run day of the period ``day`` is in (the day, its week's Monday, its month's 1st)."""
    if frequency == Frequency.WEEKLY:
        return day - dt.timedelta(days=day.weekday())
    if frequency == Frequency.MONTHLY:
        return day.replace(day=1)
    return day


def _following_run_day(frequency: str, day: dt.date) -> dt.date:
    if frequency == Frequency.WEEKLY:
        return day + dt.timedelta(days=7)
    if frequency == Frequency.MONTHLY:
        return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return day + dt.timedelta(days=1)


def next_run(frequency: str, after: dt.datetime) -> dt.datetime:
    """The first run strictly after ``after``: daily at 06:00, weekly on Mondays at 06:00,
    monthly on the 1st at 06:00, in the reporting time zone."""
    if frequency not in Frequency.values:
        raise ValueError(f"Unknown frequency {frequency!r}.")
    zone = _zone()
    day = _first_run_day(frequency, after.astimezone(zone).date())
    while (run := dt.datetime.combine(day, RUN_AT, tzinfo=zone)) <= after:
        day = _following_run_day(frequency, day)
    return run


def report_period(frequency: str, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The period that ended last before ``now``, as ``[start, end)`` days: yesterday, the
    last Monday to Sunday, or the last month."""
    today = now.astimezone(_zone()).date()
    end = _first_run_day(frequency, today)
    if frequency == Frequency.DAILY:
        return end - dt.timedelta(days=1), end
    if frequency == Frequency.WEEKLY:
        return end - dt.timedelta(days=7), end
    return (end - dt.timedelta(days=1)).replace(day=1), end


def period_label(frequency: str, start: dt.date, end: dt.date) -> str:
    """ "2026-03-03", "2026-03-02 to 2026-03-08" or "March 2026"."""
    if frequency == Frequency.MONTHLY:
        return f"{start:%B %Y}"
    last = end - dt.timedelta(days=1)
    return start.isoformat() if last == start else f"{start.isoformat()} to {last.isoformat()}"


def sees_all(user: Any) -> bool:
    """Administrators manage every schedule; auditors read every one."""
    return bool(user.has_role(Role.ADMINISTRATOR, Role.AUDITOR))


def schedules_for(user: Any) -> QuerySet[ReportSchedule]:
    """The schedules ``user`` may see: all for administrators and auditors, else their own."""
    rows = ReportSchedule.objects.select_related("owner").prefetch_related("recipients")
    if not user.has_perm(ReportingPermission.VIEW):
        return rows.none()
    return rows if sees_all(user) else rows.filter(owner=user)


def can_edit(user: Any, schedule: ReportSchedule) -> bool:
    if not user.has_perm(ReportingPermission.SCHEDULE):
        return False
    return schedule.owner_id == user.pk or user.has_role(Role.ADMINISTRATOR)


def require_editor(user: Any, schedule: ReportSchedule) -> None:
    require_permission(user, ReportingPermission.SCHEDULE)
    if user is not None and not can_edit(user, schedule):
        raise PermissionDenied("Only the schedule's owner or an administrator changes it.")


def clean_values(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """``values`` checked field by field; a ``ValidationError`` names every field that is
    wrong. ``partial``: only the fields given (an update), else all but ``is_active``."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    required = set() if partial else set(FIELDS) - {"is_active", "filters"}
    errors: dict[str, str] = {name: "This field is required." for name in required - set(values)}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        try:
            cleaned[name] = CLEANERS[name](value)
        except ValidationError as error:
            errors[name] = " ".join(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise ValidationError("Give the schedule a name.")
    if len(name) > NAME_LENGTH:
        raise ValidationError(f"Use at most {NAME_LENGTH} characters.")
    return name


def _frequency(value: Any) -> str:
    if value not in Frequency.values:
        raise ValidationError(f"Frequency must be one of {', '.join(Frequency.values)}.")
    return str(value)


def _formats(value: Any) -> list[str]:
    chosen = list(dict.fromkeys(value or []))
    if not chosen:
        raise ValidationError("Choose at least one format (pdf, csv).")
    wrong = [str(item) for item in chosen if item not in ReportFormat.values]
    if wrong:
        raise ValidationError(f"Formats are pdf and csv, not {', '.join(wrong)}.")
    return [item for item in ReportFormat.values if item in chosen]


def _recipients(value: Any) -> list[User]:
    people = list(dict.fromkeys(value or []))
    if not people:
        raise ValidationError("Choose at least one recipient.")
    inactive = [user.username for user in people if not user.is_active]
    if inactive:
        raise ValidationError(f"These users are not active: {', '.join(inactive)}.")
    return people


def _filters(value: Any) -> dict[str, int]:
    given = {key: item for key, item in dict(value or {}).items() if item not in (None, "")}
    wrong = sorted(set(given) - {*FILTER_MODELS, "priority"})
    if wrong:
        raise ValidationError(f"Filters are service, group, priority, category; not {wrong}.")
    cleaned = {}
    for key, item in given.items():
        if not isinstance(item, int) or isinstance(item, bool) or item < 1:
            raise ValidationError(f"The {key} filter must be an id (a positive number).")
        known = item in Priority.values if key == "priority" else (
            FILTER_MODELS[key].objects.filter(pk=min(item, 2**63 - 1)).exists()
        )  # fmt: skip
        if not known:
            raise ValidationError(f"There is no {key} {item}.")
        cleaned[key] = item
    return {key: cleaned[key] for key in FILTER_KEYS if key in cleaned}


CLEANERS: dict[str, Any] = {
    "name": _name, "frequency": _frequency, "filters": _filters, "formats": _formats,
    "recipients": _recipients, "is_active": bool,
}  # fmt: skip


def _usernames(users: Any) -> list[str]:
    return sorted(user.username for user in users)


def create_schedule(
    *, acting_user: Any, channel: str = Channel.WEB, now: dt.datetime | None = None, **values: Any
) -> ReportSchedule:
    """A new schedule owned by ``acting_user``, first run at the frequency's next run time."""
    require_permission(acting_user, ReportingPermission.SCHEDULE)
    if acting_user is None:
        raise ValueError("A report schedule needs an owner (the acting user).")
    cleaned = clean_values(values, partial=False)
    recipients = cleaned.pop("recipients")
    schedule = ReportSchedule(owner=acting_user, **cleaned)
    schedule.next_run_at = next_run(schedule.frequency, now or timezone.now())
    with transaction.atomic():
        schedule.save()
        schedule.recipients.set(recipients)
        changes = {name: (None, getattr(schedule, name)) for name in cleaned}
        changes.update(recipients=(None, _usernames(recipients)), owner=(None, acting_user))
        changes["next_run_at"] = (None, schedule.next_run_at)
        record_change(
            schedule, action="created", actor=acting_user, channel=channel, changes=changes
        )
    return schedule


def update_schedule(
    schedule: ReportSchedule,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    now: dt.datetime | None = None,
    **values: Any,
) -> ReportSchedule:
    """Change the fields given; a new frequency, or resuming, sets the next run from now."""
    require_editor(acting_user, schedule)
    cleaned = clean_values(values, partial=True)
    recipients = cleaned.pop("recipients", None)
    with transaction.atomic():
        current = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
        changes = {
            name: (getattr(current, name), value)
            for name, value in cleaned.items()
            if getattr(current, name) != value
        }
        for name, (_old, value) in changes.items():
            setattr(current, name, value)
        if current.is_active and ("frequency" in changes or "is_active" in changes):
            run = next_run(current.frequency, now or timezone.now())
            changes["next_run_at"] = (current.next_run_at, run)
            current.next_run_at = run
        if recipients is not None:
            before = _usernames(current.recipients.all())
            if before != _usernames(recipients):
                current.recipients.set(recipients)
                changes["recipients"] = (before, _usernames(recipients))
        if changes:
            current.save(update_fields=[name for name in changes if name != "recipients"])
            record_change(
                current, action="updated", actor=acting_user, channel=channel, changes=changes
            )
    return current


def delete_schedule(
    schedule: ReportSchedule, *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    """The schedule is gone; its history ends with the deletion."""
    require_editor(acting_user, schedule)
    with transaction.atomic():
        record_change(schedule, action="deleted", actor=acting_user, channel=channel)
        schedule.delete()
