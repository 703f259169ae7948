"""Process audit findings and the runs of the checks that produce them (audit/checks)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.core.models import ItsmRecord

USER = settings.AUTH_USER_MODEL


class Finding(ItsmRecord):
    """One deviation from a process that a check found on one record (or on the platform, when
    no record is concerned), with an owner to deal with it by a due date."""

    NUMBER_PREFIX = "FND"

    check_key = models.CharField(max_length=64)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    #: What the record is called for people (``INC0001234``), kept should it be deleted.
    record_label = models.CharField(max_length=200, blank=True)
    summary = models.TextField()
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_findings"
    )
    due_on = models.DateField()
    state = models.CharField(max_length=16, choices=FindingState.choices, default="open")
    first_found_at = models.DateTimeField()
    last_found_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_key", "content_type", "object_id"],
                condition=Q(state__in=ACTIVE_STATES),
                name="finding_once_while_active",
            )
        ]
        indexes = [
            models.Index(fields=["state", "due_on"], name="finding_state_due"),
            models.Index(fields=["check_key", "state"], name="finding_check_state"),
            models.Index(fields=["owner", "state"], name="finding_owner_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.check_key} {self.record_label}"


class AuditRun(models.Model):
    """One run of one check: when, what it found, what it opened and closed, or why it failed."""

    check_key = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    found = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["check_key", "started_at"], name="audit_run_check")]

    def __str__(self) -> str:
        return f"{self.check_key} at {self.started_at:%Y-%m-%d %H:%M}"
