"""Access roles (what a system lets people do, each with an owner) and the entitlement
register: who holds which role, granted by whom, when, why and until when — and how it ended."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from watchkeeper.access.choices import (
    EntitlementState,
    LifecycleKind,
    ReviewDecision,
    ReviewState,
    SodMode,
)
from watchkeeper.core.models import Historied, ItsmRecord


class AccessRole(Historied):
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
    profile = models.ForeignKey(
        "access.AccessProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entitlements",
        help_text="Granted as part of this profile (a joiner or mover request).",
    )
    sod_exception = models.CharField(
        max_length=500,
        blank=True,
        help_text="A separation-of-duties rule it breaks, and who allowed it.",
    )

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


class SodRule(Historied):
    """Separation of duties: two roles nobody may hold together (e.g. "creates suppliers" and
    "approves payments"). A grant or an access request that would break it is refused."""

    first = models.ForeignKey(AccessRole, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(AccessRole, on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=300, help_text="Why they may not go together.")
    mode = models.CharField(max_length=10, choices=SodMode.choices, default=SodMode.BLOCK)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who may allow an exception (mode: approval), e.g. the risk officer.",
    )
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

    def clean(self) -> None:
        if self.mode == SodMode.APPROVAL and self.approver_id is None:
            raise ValidationError({"approver": "An exception needs someone who may allow it."})


class AccessProfile(Historied):
    """The roles a kind of job starts with (e.g. "Accounts payable clerk"): what a joiner
    request grants and what a mover request moves someone from and to."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    roles = models.ManyToManyField(AccessRole, related_name="profiles")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LifecycleItem(models.Model):
    """Makes a catalog item a joiner, mover or leaver request: its delivery changes the
    register of the person it is for (answers ``profile`` and ``last_day``)."""

    catalog_item = models.OneToOneField(
        "requests.CatalogItem", on_delete=models.CASCADE, related_name="lifecycle"
    )
    kind = models.CharField(max_length=10, choices=LifecycleKind.choices)

    def __str__(self) -> str:
        return f"{self.catalog_item} ({self.kind})"


class ReviewSchedule(Historied):
    """Starts a review campaign every so many months (e.g. quarterly) for some systems."""

    name = models.CharField(max_length=200, unique=True)
    systems = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="+", help_text="Empty: every system."
    )
    every_months = models.PositiveIntegerField(default=3)
    days_to_complete = models.PositiveIntegerField(default=14)
    next_on = models.DateField(help_text="The day the next campaign starts.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessReview(ItsmRecord):
    """A review campaign (REV): each role owner confirms or revokes every active grant of
    their roles on the systems in scope, by the due date."""

    NUMBER_PREFIX = "REV"

    name = models.CharField(max_length=200)
    systems = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="+", help_text="Empty: every system."
    )
    state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN, db_index=True
    )
    due_on = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    schedule = models.ForeignKey(
        ReviewSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]


class ReviewItem(models.Model):
    """One grant in a campaign and its reviewer's decision; revoking ends the grant."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="review_items"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_review_items"
    )
    decision = models.CharField(
        max_length=10,
        choices=ReviewDecision.choices,
        default=ReviewDecision.PENDING,
        db_index=True,
    )
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "entitlement"], name="access_review_item_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.review.number}: {self.entitlement.number} ({self.decision})"
