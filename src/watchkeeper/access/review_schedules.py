"""Review schedules: a campaign started every so many months (e.g. quarterly per service) by
the daily job, and the schedules' configuration, with its history."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from watchkeeper.access.models import AccessReview, ReviewSchedule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.access.reviews import NAME_LENGTH, start
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change

logger = logging.getLogger(__name__)
SCHEDULE_FIELDS = ("name", "every_months", "days_to_complete", "next_on", "is_active")


def start_scheduled(today: dt.date | None = None) -> list[AccessReview]:
    """Start the campaign of every active schedule whose day has come ("<name> <date>", due in
    its days to complete, started by the system) and move its next day on. A schedule with
    nothing to review is skipped until its next day (and logged)."""
    today = today or timezone.localdate()
    due = ReviewSchedule.objects.filter(is_active=True, next_on__lte=today).order_by("pk")
    started = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            schedule = ReviewSchedule.objects.select_for_update().get(pk=pk)
            if not schedule.is_active or schedule.next_on > today:
                continue  # another scheduler was first
            name = f"{schedule.name[: NAME_LENGTH - 11]} {today.isoformat()}"
            due_on = today + dt.timedelta(days=schedule.days_to_complete)
            try:
                with transaction.atomic():
                    started.append(
                        start(name, schedule.systems.all(), due_on, None, schedule,
                              channel=Channel.JOB)
                    )  # fmt: skip
            except ValidationError as problem:
                logger.warning("Review schedule %r started nothing: %s", schedule.name,
                               " ".join(problem.messages))  # fmt: skip
            before, schedule.next_on = (
                schedule.next_on,
                following(schedule.next_on, schedule.every_months, today),
            )
            schedule.save(update_fields=["next_on"])
            record_change(
                schedule, action="updated", channel=Channel.JOB,
                changes={"next_on": (before, schedule.next_on)},
            )  # fmt: skip
    return started


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def following(day: dt.date, every_months: int, today: dt.date) -> dt.date:
    """The schedule's next day after ``today``: missed periods are not caught up one by one."""
    while day <= today:
        day = add_months(day, max(1, every_months))
    return day


def save_schedule(
    schedule: ReviewSchedule | None,
    values: dict[str, Any],
    acting_user: Any,
    channel: str = Channel.WEB,
) -> ReviewSchedule:
    """Create (``schedule`` None) or change a review schedule (access managers); ``values`` may
    hold the fields of ``SCHEDULE_FIELDS`` and ``systems`` (configuration items)."""
    require_permission(acting_user, AccessPermission.MANAGE)
    unknown = set(values) - {*SCHEDULE_FIELDS, "systems"}
    if unknown:
        raise ValidationError({field: "This field cannot be set." for field in sorted(unknown)})
    target = schedule or ReviewSchedule()
    changes: dict[str, tuple[Any, Any]] = {}
    for field in SCHEDULE_FIELDS:
        if field in values and (schedule is None or getattr(target, field) != values[field]):
            changes[field] = (None if schedule is None else getattr(target, field), values[field])
            setattr(target, field, values[field])
    if target.every_months < 1:
        raise ValidationError({"every_months": "A campaign needs at least 1 month between."})
    target.full_clean()
    try:
        with transaction.atomic():
            target.save()
            if "systems" in values:
                before = sorted(ci.number for ci in target.systems.all()) if schedule else None
                after = sorted(ci.number for ci in values["systems"])
                if before != after:
                    target.systems.set(values["systems"])
                    changes["systems"] = (before, after)
            if changes:
                action = "created" if schedule is None else "updated"
                record_change(
                    target, action=action, actor=acting_user, channel=channel, changes=changes
                )
    except IntegrityError:
        raise ValidationError({"name": "Another schedule has this name."}) from None
    return target
