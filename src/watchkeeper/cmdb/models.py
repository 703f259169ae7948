"""The CMDB: configuration items (services among them), their relations, and the backup facts
that protect them (backup runs reported by the jobs, restore tests recorded by people)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from watchkeeper.cmdb.choices import (
    SERVICE_CLASSES,
    BackupResult,
    CiClass,
    CiStatus,
    Criticality,
    Environment,
    RelationType,
    RestoreResult,
)
from watchkeeper.core.models import ItsmRecord


class ConfigurationItemQuerySet(models.QuerySet["ConfigurationItem"]):
    def services(self) -> ConfigurationItemQuerySet:
        return self.filter(ci_class__in=SERVICE_CLASSES)

    def backup_jobs(self) -> ConfigurationItemQuerySet:
        return self.filter(ci_class=CiClass.BACKUP_JOB)

    def active(self) -> ConfigurationItemQuerySet:
        return self.exclude(status=CiStatus.RETIRED)


class ConfigurationItem(ItsmRecord):
    NUMBER_PREFIX = "CI"

    name = models.CharField(max_length=200)
    ci_class = models.CharField(max_length=32, choices=CiClass.choices)
    status = models.CharField(max_length=16, choices=CiStatus.choices, default=CiStatus.IN_SERVICE)
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    description = models.TextField(blank=True)
    criticality = models.CharField(
        max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cis",
        help_text="The service owner or the person accountable for this item.",
    )
    owner_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cis",
        help_text="The team accountable for this item.",
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supported_cis",
        help_text="The team that fixes it; incidents about it are assigned here.",
    )
    hostname = models.CharField(max_length=255, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    serial_number = models.CharField(max_length=100, blank=True, db_index=True)
    attributes = models.JSONField(default=dict, blank=True)
    restore_test_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Policy: a successful restore test at least every this many days.",
    )
    subscribers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="subscribed_services",
        help_text="People who use this service and are affected when it fails.",
    )
    discovery_source = models.CharField(max_length=100, blank=True)
    last_discovered_at = models.DateTimeField(null=True, blank=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "name"], name="ci_unique_class_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_service(self) -> bool:
        return self.ci_class in SERVICE_CLASSES


class Relation(models.Model):
    """ "source <type> target": "mail-app runs on srv-01". Changes are recorded in the source's
    history."""

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming")
    type = models.CharField(max_length=16, choices=RelationType.choices)
    discovery_source = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "type"], name="cmdb_relation_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="cmdb_relation_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "type"], name="cmdb_relation_target")]

    def __str__(self) -> str:
        return f"{self.source} {self.get_type_display()} {self.target}"


class BackupRun(models.Model):
    """One result of a backup job, reported by the job (or "missed", written by the sweep)."""

    job = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="backup_runs")
    result = models.CharField(max_length=16, choices=BackupResult.choices)
    finished_at = models.DateTimeField(
        help_text="When it ended; for a missed run, when it was due."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The job's own run id: a re-sent report counts once."
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "external_id"],
                condition=~models.Q(external_id=""),
                name="cmdb_backup_run_external_id",
            ),
            models.UniqueConstraint(
                fields=["job", "finished_at"],
                condition=models.Q(result=BackupResult.MISSED),
                name="cmdb_backup_run_missed_once",
            ),
        ]
        indexes = [models.Index(fields=["job", "-finished_at"], name="cmdb_backup_run_job")]

    def __str__(self) -> str:
        return f"{self.job} {self.get_result_display()} {self.finished_at:%Y-%m-%d %H:%M}"


class RestoreTest(models.Model):
    """A recorded attempt to restore an item from its backups: the proof they work."""

    ci = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="restore_tests"
    )
    backup_job = models.ForeignKey(
        ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tested_at = models.DateTimeField()
    result = models.CharField(max_length=16, choices=RestoreResult.choices)
    time_to_restore_seconds = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-tested_at", "-id"]
        indexes = [models.Index(fields=["ci", "-tested_at"], name="cmdb_restore_test_ci")]

    def __str__(self) -> str:
        return f"{self.ci} restore {self.get_result_display()} {self.tested_at:%Y-%m-%d}"
