"""Event management: the sources that send events, the events themselves (normalised, with the
raw payload for a while), and the alerts they are de-duplicated into.

An *event* is one message from a monitoring tool; an *alert* is the condition it reports, kept
once per de-duplication key while it is live (open, acknowledged or shelved): further events with
the key count on it, an ``ok`` event closes it, and an event after that opens a new alert.
"""

from __future__ import annotations

from django.db import models

from watchkeeper.core.models import ItsmRecord
from watchkeeper.events.choices import LIVE_STATUSES, AlertStatus, Severity, SourceKind


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
