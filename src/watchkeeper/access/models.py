"""Access roles (what a system lets people do, each with an owner) and the entitlement
register: who holds which role, granted by whom, when, why and until when — and how it ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from watchkeeper.access.choices import EntitlementState
from watchkeeper.core.models import ItsmRecord


class AccessRole(models.Model):
    """An entitlement a system offers, e.g. "ERP: accounts payable clerk"."""

    system = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="access_roles"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_access_roles",
        help_text="Decides who holds it: approves requests, confirms it in reviews.",
    )
    max_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="The longest a grant may last (empty: no limit)."
    )
    catalog_item = models.OneToOneField(
        "requests.CatalogItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_role",
        help_text="The catalog item that requests it: its delivery writes the grant.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["system__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="access_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system.name}: {self.name}"


class Entitlement(ItsmRecord):
    """One grant of an access role to a person (ENT), in the register for good: an ended one
    stays, with how and why it ended."""

    NUMBER_PREFIX = "ENT"

    role = models.ForeignKey(AccessRole, on_delete=models.PROTECT, related_name="entitlements")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entitlements"
    )
    state = models.CharField(
        max_length=10,
        choices=EntitlementState.choices,
        default=EntitlementState.ACTIVE,
        db_index=True,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    requested_item = models.ForeignKey(
        "requests.RequestedItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entitlements",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "holder"],
                condition=Q(state=EntitlementState.ACTIVE),
                name="access_one_active_grant",
                violation_error_message="This person already holds this role.",
            )
        ]


class SodRule(models.Model):
    """Separation of duties: two roles nobody may hold together (e.g. "creates suppliers" and
    "approves payments"). A grant or an access request that would break it is refused."""

    first = models.ForeignKey(AccessRole, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(AccessRole, on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=300, help_text="Why they may not go together.")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "separation-of-duties rule"
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="access_sod_unique"),
            models.CheckConstraint(
                condition=~Q(first=models.F("second")),
                name="access_sod_two_roles",
                violation_error_message="A rule needs two different roles.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} / {self.second}"
