"""Configuration items, services among them. The CMDB issue adds relations and typed attributes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from watchkeeper.cmdb.choices import SERVICE_CLASSES, CiClass, CiStatus, Criticality
from watchkeeper.core.models import ItsmRecord


class ConfigurationItemQuerySet(models.QuerySet["ConfigurationItem"]):
    def services(self) -> ConfigurationItemQuerySet:
        return self.filter(ci_class__in=SERVICE_CLASSES)


class ConfigurationItem(ItsmRecord):
    NUMBER_PREFIX = "CI"

    name = models.CharField(max_length=200)
    ci_class = models.CharField(max_length=32, choices=CiClass.choices)
    status = models.CharField(max_length=16, choices=CiStatus.choices, default=CiStatus.IN_SERVICE)
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
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supported_cis",
    )

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "name"], name="ci_unique_class_name")
        ]

    def __str__(self) -> str:
        return self.name
