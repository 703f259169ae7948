"""Writes to calendars and SLA definitions, each with its history entry; the clocks follow.

A change to a calendar or a definition is recorded on it (who, when, what) and, once committed,
a job recomputes the clocks of the open incidents from their history (``recompute_open``), so
due times and breaches move retroactively and every one of them can be explained again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.jobs import enqueue_on_commit, job
from watchkeeper.sla.choices import HolidaySource
from watchkeeper.sla.models import (
    BusinessHours,
    Calendar,
    CalendarException,
    Holiday,
    SlaAction,
    SlaDefinition,
    SlaTarget,
)
from watchkeeper.sla.permissions import SlaPermission

HoursSpec = Iterable[tuple[int, dt.time, dt.time]]  # weekday (Monday = 0), start, end
CALENDAR_FIELDS = ("name", "time_zone", "always_open", "holiday_country", "holiday_subdivision")
DEFINITION_FIELDS = (
    "name", "kind", "record_type", "metric", "calendar", "is_active", "vendor", "priorities",
    "channels", "pause_reasons", "pause_states", "thresholds",
)  # fmt: skip
DEFINITION_SETS = ("services", "caller_groups", "assignment_groups")


def _set_fields(
    obj: Calendar | SlaDefinition, values: Mapping[str, Any], allowed: Sequence[str], what: str
) -> dict[str, tuple[Any, Any]]:
    """Check the names, set the values and validate; returns the changes as (old, new), every
    value for a record not saved yet."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({name: f"Not a {what} field." for name in unknown})
    creating = obj.pk is None
    old = {} if creating else {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    return {
        name: (old.get(name), value)
        for name, value in values.items()
        if creating or old[name] != value
    }


def _hours_text(hours: Iterable[BusinessHours]) -> list[str]:
    return [f"{h.weekday} {h.start:%H:%M}-{h.end:%H:%M}" for h in hours]


def _replace_hours(calendar: Calendar, hours: HoursSpec) -> tuple[list[str], list[str]]:
    before = _hours_text(calendar.hours.all())
    calendar.hours.all().delete()
    rows = [BusinessHours(calendar=calendar, weekday=d, start=s, end=e) for d, s, e in hours]
    for row in rows:
        row.full_clean(exclude=["calendar"])
    BusinessHours.objects.bulk_create(rows)
    return before, _hours_text(rows)


def save_calendar(
    calendar: Calendar | None,
    *,
    acting_user: Any,
    hours: HoursSpec | None = None,
    channel: str = Channel.WEB,
    **values: Any,
) -> Calendar:
    """Create (``calendar`` None) or change a calendar and, if given, replace its weekly hours."""
    require_permission(acting_user, SlaPermission.CONFIGURE)
    creating = calendar is None
    calendar = calendar or Calendar()
    changes = _set_fields(calendar, values, CALENDAR_FIELDS, "calendar")
    with transaction.atomic():
        calendar.save()
        if hours is not None:
            before, after = _replace_hours(calendar, hours)
            if before != after:
                changes["hours"] = (before, after)
        action = "created" if creating else "changed"
        if changes or creating:
            record_change(
                calendar, action=action, actor=acting_user, channel=channel, changes=changes
            )
            recompute_later()
    return calendar


def set_holiday(
    calendar: Calendar, date: dt.date, name: str, *, acting_user: Any, channel: str = Channel.WEB
) -> Holiday:
    require_permission(acting_user, SlaPermission.CONFIGURE)
    with transaction.atomic():
        holiday, _created = Holiday.objects.update_or_create(
            calendar=calendar, date=date, defaults={"name": name, "source": HolidaySource.MANUAL}
        )
        changes = {f"holiday {date.isoformat()}": (None, name)}
        record_change(
            calendar, action="holiday_set", actor=acting_user, channel=channel, changes=changes
        )
        recompute_later()
    return holiday


def remove_holiday(
    calendar: Calendar, date: dt.date, *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    require_permission(acting_user, SlaPermission.CONFIGURE)
    with transaction.atomic():
        found = Holiday.objects.filter(calendar=calendar, date=date).first()
        if found is None:
            raise ValidationError({"date": f"{calendar} has no holiday on {date.isoformat()}."})
        found.delete()
        changes = {f"holiday {date.isoformat()}": (found.name, None)}
        record_change(
            calendar, action="holiday_removed", actor=acting_user, channel=channel, changes=changes
        )
        recompute_later()


def generate_holidays(
    calendar: Calendar, years: Sequence[int], *, acting_user: Any, channel: str = Channel.WEB
) -> int:
    """Public holidays of the calendar's country (and region) for ``years``, from the
    ``holidays`` package; dates already entered by hand are kept as they are."""
    import holidays as holiday_data

    require_permission(acting_user, SlaPermission.CONFIGURE)
    if not calendar.holiday_country:
        raise ValidationError({"holiday_country": "Set the calendar's country first."})
    try:
        found = holiday_data.country_holidays(
            calendar.holiday_country,
            subdiv=calendar.holiday_subdivision or None,
            years=list(years),
        )
    except NotImplementedError as error:
        raise ValidationError({"holiday_country": str(error)}) from error
    with transaction.atomic():
        manual = set(
            calendar.holidays.filter(source=HolidaySource.MANUAL).values_list("date", flat=True)
        )
        calendar.holidays.filter(source=HolidaySource.GENERATED, date__year__in=years).delete()
        rows = [
            Holiday(calendar=calendar, date=date, name=name, source=HolidaySource.GENERATED)
            for date, name in sorted(found.items())
            if date not in manual
        ]
        Holiday.objects.bulk_create(rows)
        place = "-".join(filter(None, [calendar.holiday_country, calendar.holiday_subdivision]))
        changes = {"generated holidays": (None, f"{len(rows)} for {place} in {list(years)}")}
        record_change(
            calendar,
            action="holidays_generated",
            actor=acting_user,
            channel=channel,
            changes=changes,
        )
        recompute_later()
    return len(rows)


def set_exception(
    calendar: Calendar,
    date: dt.date,
    intervals: Sequence[tuple[dt.time, dt.time]],
    *,
    note: str = "",
    acting_user: Any,
    channel: str = Channel.WEB,
) -> None:
    """One-off hours for ``date`` (none: closed that day), replacing any earlier exception."""
    require_permission(acting_user, SlaPermission.CONFIGURE)
    with transaction.atomic():
        calendar.exceptions.filter(date=date).delete()
        rows = [
            CalendarException(calendar=calendar, date=date, start=s, end=e, note=note)
            for s, e in intervals
        ] or [CalendarException(calendar=calendar, date=date, note=note)]
        CalendarException.objects.bulk_create(rows)
        text = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals) or "closed"
        changes = {f"exception {date.isoformat()}": (None, text)}
        record_change(
            calendar, action="exception_set", actor=acting_user, channel=channel, changes=changes
        )
        recompute_later()


def save_definition(
    definition: SlaDefinition | None,
    *,
    acting_user: Any,
    targets: Mapping[int | None, int] | None = None,
    actions: Iterable[tuple[int, str, Any]] | None = None,
    channel: str = Channel.WEB,
    **values: Any,
) -> SlaDefinition:
    """Create or change a definition: its fields, the sets it applies to (``services``,
    ``caller_groups``, ``assignment_groups``), ``targets`` (priority or None -> business
    minutes) and ``actions`` ((percent, action, group or None), replacing all)."""
    require_permission(acting_user, SlaPermission.CONFIGURE)
    sets = {name: list(values.pop(name)) for name in DEFINITION_SETS if name in values}
    creating = definition is None
    definition = definition or SlaDefinition()
    changes = _set_fields(definition, values, DEFINITION_FIELDS, "definition")
    with transaction.atomic():
        definition.save()
        for name, items in sets.items():
            manager = getattr(definition, name)
            before = sorted(str(item) for item in manager.all())
            manager.set(items)
            after = sorted(str(item) for item in items)
            if before != after:
                changes[name] = (before, after)
        if targets is not None:
            changes.update(_replace_targets(definition, targets))
        if actions is not None:
            changes.update(_replace_actions(definition, actions))
        if not definition.targets.exists():
            raise ValidationError({"targets": "A definition needs at least one target."})
        if changes or creating:
            action = "created" if creating else "changed"
            record_change(
                definition, action=action, actor=acting_user, channel=channel, changes=changes
            )
            recompute_later()
    return definition


def _replace_targets(
    definition: SlaDefinition, targets: Mapping[int | None, int]
) -> dict[str, tuple[Any, Any]]:
    before = {t.priority: t.minutes for t in definition.targets.all()}
    definition.targets.all().delete()
    rows = [SlaTarget(definition=definition, priority=p, minutes=m) for p, m in targets.items()]
    for row in rows:
        row.full_clean(exclude=["definition"])
        if row.minutes <= 0:
            raise ValidationError({"targets": "Targets are positive numbers of minutes."})
    SlaTarget.objects.bulk_create(rows)
    after = {t.priority: t.minutes for t in rows}
    if before == after:
        return {}
    return {"targets": (_target_text(before), _target_text(after))}


def _target_text(targets: Mapping[int | None, int]) -> dict[str, int]:
    return {(f"P{p}" if p else "default"): m for p, m in sorted(targets.items(), key=str)}


def _replace_actions(
    definition: SlaDefinition, actions: Iterable[tuple[int, str, Any]]
) -> dict[str, tuple[Any, Any]]:
    before = [str(a) for a in definition.actions.all()]
    definition.actions.all().delete()
    rows = [SlaAction(definition=definition, percent=p, action=a, group=g) for p, a, g in actions]
    for row in rows:
        if row.action == "reassign" and row.group is None:
            raise ValidationError({"actions": "Reassigning needs a group."})
        row.full_clean(exclude=["definition"])
    SlaAction.objects.bulk_create(rows)
    after = [str(a) for a in rows]
    return {"actions": (before, after)} if before != after else {}


def delete_calendar(calendar: Calendar, *, acting_user: Any, channel: str = Channel.WEB) -> None:
    """Only a calendar no definition uses; its history ends with the deletion."""
    require_permission(acting_user, SlaPermission.CONFIGURE)
    with transaction.atomic():
        if calendar.definitions.exists():
            raise Conflict("Definitions use this calendar; give them another one first.")
        record_change(calendar, action="deleted", actor=acting_user, channel=channel)
        calendar.delete()


def delete_definition(
    definition: SlaDefinition, *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    """Only a definition that never ran a clock (else deactivate it: its clocks are history)."""
    require_permission(acting_user, SlaPermission.CONFIGURE)
    with transaction.atomic():
        if definition.clocks.exists():
            raise Conflict("Clocks ran under this definition; deactivate it instead.")
        record_change(definition, action="deleted", actor=acting_user, channel=channel)
        definition.delete()


def recompute_later() -> None:
    """Once committed, recompute the open incidents' clocks (in the background)."""
    enqueue_on_commit(recompute_open_clocks)


@job
def recompute_open_clocks() -> int:
    """After a configuration change: recompute the clocks of every open incident."""
    from watchkeeper.incidents.models import Incident
    from watchkeeper.sla import service

    return service.recompute(Incident.objects.open())
