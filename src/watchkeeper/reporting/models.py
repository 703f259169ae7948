"""Reporting tables: incident facts and their monthly cubes (derived, rebuilt from the records and
their history, never edited), satisfaction surveys and report schedules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from watchkeeper.core.models import Historied
from watchkeeper.reporting.choices import Frequency

USER = settings.AUTH_USER_MODEL


def _reference(model: str) -> models.ForeignKey:
    """A reporting reference: no database constraint and no cascade (facts are derived and
    rebuilt; groups, services and categories are never deleted while incidents point at them)."""
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class IncidentFact(models.Model):
    """One incident as the KPIs read it (docs/kpis.md): its dimensions and its measured times,
    computed from the incident, its SLA clocks, its survey and its history by
    ``reporting.facts``. Days and hours are in the reporting time zone (``TIME_ZONE``)."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    opened_day = models.DateField()
    opened_month = models.DateField()
    #: 0 = Monday 00:00-00:59 ... 167 = Sunday 23:00-23:59.
    hour_of_week = models.PositiveSmallIntegerField()
    priority = models.PositiveSmallIntegerField()
    group = _reference("accounts.SupportGroup")
    service = _reference("cmdb.ConfigurationItem")
    configuration_item = _reference("cmdb.ConfigurationItem")
    category = _reference("incidents.Category")
    channel = models.CharField(max_length=16)
    is_open = models.BooleanField()
    is_major = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_day = models.DateField(null=True, blank=True)
    ack_seconds = models.BigIntegerField(null=True, blank=True)
    resolve_seconds = models.BigIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    reassignment_count = models.PositiveIntegerField(default=0)
    first_contact = models.BooleanField(default=False)
    first_level = models.BooleanField(default=False)
    sla_response_met = models.BooleanField(null=True, blank=True)
    sla_resolution_met = models.BooleanField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["opened_day"], name="fact_opened_day"),
            models.Index(fields=["opened_month"], name="fact_opened_month"),
            models.Index(fields=["service", "opened_day"], name="fact_service_day"),
            models.Index(fields=["group", "opened_day"], name="fact_group_day"),
            models.Index(fields=["priority", "opened_day"], name="fact_priority_day"),
            models.Index(fields=["category", "opened_day"], name="fact_category_day"),
            models.Index(fields=["resolved_day"], name="fact_resolved_day"),
            models.Index(fields=["opened_day"], name="fact_open_day", condition=Q(is_open=True)),
        ]

    def __str__(self) -> str:
        return f"fact of incident {self.incident_id}"


class IncidentMonthCube(models.Model):
    """The facts of one month summed per priority, group, service and category: exact (sums and
    counts only), so whole months of a long period are read from here instead of every fact."""

    month = models.DateField()
    priority = models.PositiveSmallIntegerField()
    group = _reference("accounts.SupportGroup")
    service = _reference("cmdb.ConfigurationItem")
    category = _reference("incidents.Category")
    opened = models.PositiveIntegerField(default=0)
    open_now = models.PositiveIntegerField(default=0)
    major = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolve_seconds = models.BigIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(default=0)
    ack_seconds = models.BigIntegerField(default=0)
    first_contact = models.PositiveIntegerField(default=0)
    first_level = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    reassigned = models.PositiveIntegerField(default=0)
    reassignments = models.PositiveIntegerField(default=0)
    sla_response_total = models.PositiveIntegerField(default=0)
    sla_response_met = models.PositiveIntegerField(default=0)
    sla_resolution_total = models.PositiveIntegerField(default=0)
    sla_resolution_met = models.PositiveIntegerField(default=0)
    surveys_answered = models.PositiveIntegerField(default=0)
    satisfaction_sum = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="cube_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.opened} opened"


class IncidentCountCube(models.Model):
    """Incidents opened per month by one more dimension that the month cube leaves out (the
    configuration item, the hour of the week), for a whole month without filters."""

    month = models.DateField()
    #: "ci" (key: configuration item id, 0 for none) or "hour" (key: hour of the week).
    dimension = models.CharField(max_length=8)
    key = models.PositiveIntegerField()
    opened = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "dimension", "key"], name="count_cube_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dimension} {self.key}: {self.opened}"


class FactsState(models.Model):
    """How far the facts are refreshed: the ``updated_at`` of the last incident (and the last
    survey answer) they include. One row."""

    incidents_until = models.DateTimeField(null=True, blank=True)
    surveys_until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"facts refreshed at {self.refreshed_at}"


class Survey(models.Model):
    """A satisfaction survey of one resolved record (an incident or a request): sent once, to the
    caller or requester, answered once through a signed link with a score and a comment."""

    incident = models.OneToOneField(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey",
    )
    service_request = models.OneToOneField(
        "requests.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey",
    )
    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="surveys")
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    #: 1 (very dissatisfied) to 5 (very satisfied).
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=False) ^ Q(service_request__isnull=False),
                name="survey_of_one_record",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered")]

    def __str__(self) -> str:
        return f"survey {self.pk} sent {self.sent_at:%Y-%m-%d}"


class ReportSchedule(Historied):
    """A report sent by e-mail on a schedule to chosen people, built from the same KPIs as the
    dashboard with the schedule's filters, for the period that just ended."""

    name = models.CharField(max_length=150)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="report_schedules")
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    #: The dashboard filters: service, group, priority, category (ids), as a JSON object.
    filters = models.JSONField(default=dict, blank=True)
    #: "pdf", "csv" or both.
    formats = models.JSONField(default=list)
    recipients: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="reports_received"
    )
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["next_run_at"], name="report_due", condition=Q(is_active=True))
        ]

    def __str__(self) -> str:
        return self.name
