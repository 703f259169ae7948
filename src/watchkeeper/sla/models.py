"""Calendars, SLA definitions and the clocks they run on records.

Calendars and definitions are configuration with a history (who changed a target, when). A
``SlaClock`` is derived data: what ``sla.clock.compute`` says about one record under one
definition, stored so that queues can sort by due time and the per-minute job can find what is
due with an index; ``watchkeeper sla recompute`` rebuilds every one from the records' history.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from watchkeeper.core.models import Historied
from watchkeeper.sla.choices import (
    AgreementKind,
    ClockStatus,
    HolidaySource,
    Metric,
    RecordType,
    ThresholdAction,
)
from watchkeeper.sla.working_time import WorkingTime

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
WEEKDAYS += [(5, "Saturday"), (6, "Sunday")]


def validate_time_zone(name: str) -> None:
    if name not in available_timezones():
        raise ValidationError(f"{name!r} is not a time zone of the IANA database.")


class Calendar(Historied):
    """When the clock runs: weekly business hours in a time zone, less holidays, with one-off
    exceptions; or always (24x7)."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField(
        default=False, help_text="24x7: open every minute, holidays included."
    )
    holiday_country = models.CharField(
        max_length=2, blank=True, help_text='ISO country code for generated holidays, e.g. "DE".'
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text='Region within the country, e.g. "BY" (Bavaria).'
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def working_time(self) -> WorkingTime:
        """The calendar as the clock computes with it (three queries, or none if prefetched)."""
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for hours in self.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.start, hours.end))
        exceptions: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
        for exception in self.exceptions.all():
            intervals = exceptions.setdefault(exception.date, [])
            if exception.start is not None and exception.end is not None:
                intervals.append((exception.start, exception.end))
        return WorkingTime(
            zone=ZoneInfo(self.time_zone),
            weekly={day: tuple(sorted(found)) for day, found in weekly.items()},
            always_open=self.always_open,
            closed=frozenset(holiday.date for holiday in self.holidays.all()),
            exceptions={day: tuple(sorted(found)) for day, found in exceptions.items()},
        )


class BusinessHours(models.Model):
    """One open interval of a weekday; an end not after the start runs past midnight."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    end = models.TimeField(help_text="Not after the start: the interval runs past midnight.")

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)
    source = models.CharField(
        max_length=16, choices=HolidaySource.choices, default=HolidaySource.MANUAL
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class CalendarException(models.Model):
    """One-off hours for a date, replacing its usual ones; a row without times closes it."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False),
                name="exception_both_times_or_none",
            )
        ]

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return f"{self.date}: closed"
        return f"{self.date}: {self.start:%H:%M}-{self.end:%H:%M}"


class SlaDefinition(Historied):
    """A target for one metric of the records it applies to, on a calendar, with pause rules,
    warning thresholds and what happens at each threshold and at the breach.

    Empty conditions match everything. An OLA names the assignment groups it binds; an
    underpinning contract names its vendor and the services or CIs the vendor supports."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=8, choices=AgreementKind.choices, default=AgreementKind.SLA)
    record_type = models.CharField(
        max_length=16, choices=RecordType.choices, default=RecordType.INCIDENT
    )
    metric = models.CharField(max_length=16, choices=Metric.choices)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="definitions")
    is_active = models.BooleanField(default=True)
    vendor = models.CharField(max_length=100, blank=True, help_text="Underpinning contracts.")
    # Which records: the incident's priority, service or CI, the caller's groups, the channel,
    # the assignment group (OLAs).
    priorities = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    services = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="+")
    caller_groups = models.ManyToManyField("accounts.SupportGroup", blank=True, related_name="+")
    assignment_groups = models.ManyToManyField(
        "accounts.SupportGroup", blank=True, related_name="+"
    )
    # The clock.
    pause_reasons = models.JSONField(
        default=list, blank=True, help_text='Hold reasons that pause it, e.g. ["awaiting_caller"].'
    )
    pause_states = models.JSONField(
        default=list, blank=True, help_text='States that pause it whatever the reason: ["on_hold"].'
    )
    thresholds = models.JSONField(default=list, blank=True, help_text="Percent, e.g. [50, 75, 90].")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The JSON lists hold what they should (the admin and the API both come here)."""
        errors: dict[str, str] = {}
        for name in ("priorities", "thresholds"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(type(v) is int for v in value):
                errors[name] = "A list of whole numbers, e.g. [1, 2]."
        if "thresholds" not in errors and any(not 0 < p < 100 for p in self.thresholds):
            errors["thresholds"] = "Percentages between 1 and 99 (100 is the breach)."
        for name in ("channels", "pause_reasons", "pause_states"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = 'A list of names, e.g. ["awaiting_caller"].'
        if errors:
            raise ValidationError(errors)


class SlaTarget(models.Model):
    """The target of a definition for one priority (or, without one, for every other)."""

    definition = models.ForeignKey(SlaDefinition, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    minutes = models.PositiveIntegerField(help_text="Business minutes.")

    class Meta:
        ordering = ["priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "priority"],
                name="target_once_per_priority",
                condition=Q(priority__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["definition"], name="target_one_default", condition=Q(priority__isnull=True)
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="target_positive"),
        ]

    def __str__(self) -> str:
        return f"P{self.priority or '*'}: {self.minutes} min"


class SlaAction(models.Model):
    """What happens when a clock reaches ``percent`` of its target (100: the breach)."""

    definition = models.ForeignKey(SlaDefinition, on_delete=models.CASCADE, related_name="actions")
    percent = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=32, choices=ThresholdAction.choices)
    group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For reassign.",
    )

    class Meta:
        ordering = ["percent", "action"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="action_percent_range"
            ),
            models.CheckConstraint(
                condition=~Q(action=ThresholdAction.REASSIGN) | Q(group__isnull=False),
                name="action_reassign_names_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent}%: {self.get_action_display()}"


class SlaClockQuerySet(models.QuerySet["SlaClock"]):
    def for_record(self, record: models.Model) -> SlaClockQuerySet:
        content_type = ContentType.objects.get_for_model(record._meta.model)
        return self.filter(content_type=content_type, object_id=record.pk)

    def due(self, now: dt.datetime) -> SlaClockQuerySet:
        """Clocks with a warning or breach to handle: the per-minute job's only query."""
        return self.filter(next_event_at__lte=now)


class SlaClock(models.Model):
    """One definition's clock on one record, as last computed (derived; never edited).

    It keeps the figures that queues sort by and the job acts on; the intervals that explain
    them are computed from the history when someone looks (``service.explain``)."""

    definition = models.ForeignKey(SlaDefinition, on_delete=models.CASCADE, related_name="clocks")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=ClockStatus.choices)
    elapsed_seconds = models.FloatField(default=0)
    target_seconds = models.FloatField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    #: Threshold instants (percent -> ISO instant), past and, while running, predicted.
    #: ``breached_at`` is set only once the breach has happened (by ``computed_at``).
    marks = models.JSONField(default=dict)
    #: Thresholds already acted on: each fires once, however often the job runs.
    fired = models.JSONField(default=list)
    #: The next threshold not yet acted on, and when; null when nothing is pending.
    next_event_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "content_type", "object_id"], name="clock_once_per_record"
            )
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="clock_record"),
            # Only pending clocks are in it, so its size follows the open work, not the past.
            models.Index(
                fields=["next_event_at"],
                name="clock_next_event",
                condition=Q(next_event_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"], name="clock_due", condition=Q(status=ClockStatus.RUNNING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} on {self.content_type.model} {self.object_id}"

    def is_breached(self, now: dt.datetime) -> bool:
        """Breached already, or running past its due time since it was computed."""
        if self.breached_at is not None:
            return True
        return self.due_at is not None and self.due_at <= now

    def percent_used(self) -> float:
        return 100 * self.elapsed_seconds / self.target_seconds if self.target_seconds else 0.0

    def seconds_left(self, now: dt.datetime) -> float | None:
        """Business time left: exact when paused or stopped, else up to the due instant (which
        counts closed hours too; the badge says "due" with the instant for that reason)."""
        if self.status == ClockStatus.RUNNING and self.due_at is not None:
            return (self.due_at - now).total_seconds()
        return self.target_seconds - self.elapsed_seconds
