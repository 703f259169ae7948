"""Event management: the sources that send events, the events themselves (normalised, with the
raw payload for a while), and the alerts they are de-duplicated into.

An *event* is one message from a monitoring tool; an *alert* is the condition it reports, kept
once per de-duplication key while it is live (open, acknowledged or shelved): further events with
the key count on it, an ``ok`` event closes it, and an event after that opens a new alert.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from watchkeeper.cmdb.schedule import schedule_problem
from watchkeeper.core.models import ItsmRecord
from watchkeeper.events.choices import LIVE_STATUSES, AlertStatus, Severity, SourceKind
from watchkeeper.events.keys import template_problem

#: Severities an alert can open an incident for (ok clears, it never opens).
INCIDENT_SEVERITIES = {s.value for s in Severity} - {Severity.OK.value}


class EventSource(models.Model):
    """A monitoring tool that sends events, with its own ingestion-only token."""

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.GENERIC)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    token_prefix = models.CharField(max_length=12, blank=True, db_index=True, editable=False)
    token_digest = models.CharField(max_length=64, blank=True, editable=False)
    key_template = models.CharField(
        max_length=300,
        blank=True,
        help_text="De-duplication key, e.g. '{resource}/{check}' or '{labels[alertname]}:"
        "{labels[instance]}'; empty: the tool's fingerprint, else resource and check.",
    )
    incident_severities = models.JSONField(
        default=list,
        blank=True,
        help_text="Severities whose alerts open an incident, e.g. ['critical', 'major'].",
    )
    resolve_incidents = models.BooleanField(
        default=True, help_text="Resolve the alert's incident when the alert clears."
    )
    default_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Assignment group when the alert's CI names none.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The key template's placeholders and the incident severities (forms, admin, API)."""
        errors: dict[str, str] = {}
        if problem := template_problem(self.key_template):
            errors["key_template"] = problem
        severities = self.incident_severities
        if not isinstance(severities, list) or not set(severities) <= INCIDENT_SEVERITIES:
            errors["incident_severities"] = (
                "Use severities among critical, major, minor, warning, info."
            )
        if errors:
            raise ValidationError(errors)


class AlertSlot(models.Model):
    """One row per de-duplication key, locked while an event with the key is applied: so two
    first events with one key, arriving at once, make one alert and no error."""

    source = models.ForeignKey(EventSource, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="events_slot_unique")]

    def __str__(self) -> str:
        return self.key


class Alert(ItsmRecord):
    NUMBER_PREFIX = "ALR"

    source = models.ForeignKey(EventSource, on_delete=models.PROTECT, related_name="alerts")
    key = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    resource = models.CharField(max_length=300)
    check_name = models.CharField(max_length=300, verbose_name="check")
    message = models.TextField(blank=True)
    labels = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    shelved_until = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    in_maintenance = models.BooleanField(
        default=False, help_text="It opened during a maintenance window: no incident for it."
    )
    flapping = models.BooleanField(
        default=False, help_text="Its key opened and cleared repeatedly within the hour."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The alert that explains this one (on the same item, or on one it rests on).",
    )

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="events_one_live_alert_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-last_seen"], name="events_alert_status"),
            models.Index(fields=["source", "key", "-closed_at"], name="events_alert_key"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.resource} {self.check_name}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class Event(models.Model):
    """One normalised event as received; ``raw`` is the tool's payload, purged after a while."""

    source = models.ForeignKey(EventSource, on_delete=models.PROTECT, related_name="events")
    alert = models.ForeignKey(Alert, null=True, on_delete=models.SET_NULL, related_name="events")
    external_id = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=500)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    resource = models.CharField(max_length=300)
    check_name = models.CharField(max_length=300, verbose_name="check")
    message = models.TextField(blank=True)
    labels = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(db_index=True)
    raw = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="events_event_once",
            )
        ]
        indexes = [models.Index(fields=["alert", "-occurred_at"], name="events_event_alert")]

    def __str__(self) -> str:
        return f"{self.source} {self.resource} {self.check_name} {self.severity}"


class MaintenanceWindow(models.Model):
    """A time when alerts about some items or labels are expected and must not raise incidents:
    one-off (``starts_at`` to ``ends_at``) or recurring (a cron ``schedule`` of start times in
    UTC, each lasting ``duration_minutes``, between ``starts_at`` and ``ends_at``)."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    schedule = models.CharField(
        max_length=100, blank=True, help_text="Empty: one-off. A cron expression (UTC) of starts."
    )
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long each recurring window lasts."
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="maintenance_windows",
        help_text="Items under maintenance; a service covers everything it rests on.",
    )
    labels = models.JSONField(
        default=dict, blank=True, help_text="Alerts whose labels include all of these."
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "name"]
        indexes = [models.Index(fields=["ends_at"], name="events_window_end")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "A window ends after it starts."
        if self.schedule:
            if problem := schedule_problem(self.schedule):
                errors["schedule"] = f"The schedule {problem}."
            if not self.duration_minutes:
                errors["duration_minutes"] = "A recurring window needs the length of each opening."
        labels = self.labels
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            errors["labels"] = "Labels are names with text values."
        if errors:
            raise ValidationError(errors)


class Heartbeat(models.Model):
    """Something that must report every ``interval_minutes`` (a backup job, a cron job, a host);
    silence past the interval and ``grace_minutes`` raises an alert, the next beat clears it."""

    source = models.ForeignKey(EventSource, on_delete=models.CASCADE, related_name="heartbeats")
    name = models.SlugField(max_length=100)
    resource = models.CharField(max_length=300, blank=True, help_text="Default: the name.")
    interval_minutes = models.PositiveIntegerField(default=60)
    grace_minutes = models.PositiveIntegerField(default=5)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    late_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="events_heartbeat_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CheckKind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP port"


class ActiveCheck(models.Model):
    """A check Watchkeeper runs itself on a schedule: an HTTP(S) request (status, content,
    latency, certificate expiry) or a TCP connection; each run is an event of its source."""

    source = models.ForeignKey(EventSource, on_delete=models.CASCADE, related_name="checks")
    name = models.SlugField(max_length=100)
    kind = models.CharField(max_length=8, choices=CheckKind.choices, default=CheckKind.HTTP)
    target = models.CharField(max_length=500, help_text="A URL (http, https) or host:port (tcp).")
    interval_minutes = models.PositiveIntegerField(default=5)
    timeout_seconds = models.PositiveIntegerField(default=10)
    expected_status = models.PositiveIntegerField(default=200)
    expected_text = models.CharField(max_length=200, blank=True)
    latency_warning_ms = models.PositiveIntegerField(null=True, blank=True)
    certificate_warning_days = models.PositiveIntegerField(default=14)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_severity = models.CharField(max_length=16, blank=True)
    last_message = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="events_check_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == CheckKind.HTTP and not re.match(r"https?://[^\s/]+", self.target):
            raise ValidationError({"target": "An HTTP check needs an http:// or https:// URL."})
        if self.kind == CheckKind.TCP and not re.fullmatch(r"[^\s:]+:\d{1,5}", self.target):
            raise ValidationError({"target": "A TCP check needs host:port."})
        if self.severity == Severity.OK:
            raise ValidationError({"severity": "A failing check cannot be ok."})


class SpoolMark(models.Model):
    """The last entry of one events spool (``events.spool``) that has been processed, advanced in
    the transaction that processed it: an entry is never processed twice."""

    spool = models.CharField(max_length=64, primary_key=True)
    last_entry = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.spool}: {self.last_entry}"
