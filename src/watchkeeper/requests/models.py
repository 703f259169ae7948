"""The service catalog (categories, items, the typed variables of each item's order form) and
the requests ordered from it (REQ, each with its requested items)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from watchkeeper.accounts.choices import Role
from watchkeeper.core.choices import Channel
from watchkeeper.core.models import Historied, ItsmRecord
from watchkeeper.requests.choices import (
    CHOICE_KINDS,
    ApprovalRule,
    ApprovalState,
    ApproverKind,
    ItemState,
    RequestState,
    TaskState,
    VariableKind,
)
from watchkeeper.requests.permissions import RequestPermission

VARIABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
#: Approval levels at and above it are asked beyond the item's policy (``requests.approvals``).
MAX_POLICY_LEVEL = 1000


class CatalogCategory(Historied):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "catalog categories"

    def __str__(self) -> str:
        return self.name


class CatalogItem(Historied):
    """Something users can order: a laptop, a mailbox, a new starter's accounts."""

    category = models.ForeignKey(CatalogCategory, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, help_text="One line, shown in the catalog.")
    description = models.TextField(blank=True, help_text="Markdown; shown on the order form.")
    audience_roles = models.JSONField(
        default=list,
        blank=True,
        help_text='Who may order it: holders of these roles, e.g. ["agent"] (with the groups '
        "below; neither: everyone).",
    )
    audience_groups = models.ManyToManyField(
        "accounts.SupportGroup",
        blank=True,
        related_name="orderable_items",
        help_text="Who may order it: members of these groups (with the roles above).",
    )
    fulfilment_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fulfilled_items",
        help_text="The group that fulfils requests for it.",
    )
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Per unit, if any."
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalog_items",
    )
    delivery_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The SLA: delivered within this many working hours of approval (empty: none).",
    )
    delivery_calendar = models.ForeignKey(
        "sla.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The hours the delivery clock runs in (empty: around the clock).",
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        roles = self.audience_roles
        if not isinstance(roles, list) or not set(roles) <= set(Role.values):
            raise ValidationError(
                {"audience_roles": f"A list of roles among: {', '.join(Role.values)}."}
            )


class CatalogVariable(models.Model):
    """One question of an item's order form; ``requests.variables`` checks the answers."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(
        max_length=50, help_text="The answer's key: lower-case letters, digits and _."
    )
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=VariableKind.choices, default=VariableKind.TEXT)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=500, blank=True)
    choices = models.JSONField(
        default=list, blank=True, help_text='For choices: the options, e.g. ["13 inch", "15 inch"].'
    )
    minimum = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Numbers: the smallest value; text: the fewest characters.",
    )
    maximum = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Numbers: the largest value; text: the most characters.",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="requests_variable_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if not VARIABLE_NAME.fullmatch(self.name or ""):
            raise ValidationError(
                {"name": "Start with a letter; use lower-case letters, digits and _ (50 at most)."}
            )
        options = self.choices
        if self.kind in CHOICE_KINDS:
            if not isinstance(options, list) or not options:
                raise ValidationError({"choices": "A choice needs its options: a list of texts."})
            if not all(isinstance(o, str) and o.strip() for o in options):
                raise ValidationError({"choices": "Each option is a non-empty text."})
            if len(set(options)) != len(options):
                raise ValidationError({"choices": "Each option once."})
        elif options:
            raise ValidationError({"choices": "Only choice questions have options."})
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValidationError({"maximum": "The maximum is below the minimum."})


class ApprovalStep(models.Model):
    """One level of an item's approval policy: who approves, and whether one or all of them
    must. Levels are asked in order; an item without steps needs no approval."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="approval_steps")
    level = models.PositiveIntegerField(default=1)
    approver_kind = models.CharField(max_length=10, choices=ApproverKind.choices)
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=4, choices=ApprovalRule.choices, default=ApprovalRule.ANY)

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(fields=["item", "level"], name="requests_step_level_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item}: level {self.level}"

    def clean(self) -> None:
        if self.level >= MAX_POLICY_LEVEL:
            raise ValidationError(
                {"level": f"Levels of a policy stay below {MAX_POLICY_LEVEL} (the levels above "
                 "are exceptions asked beyond it)."}
            )  # fmt: skip
        if self.approver_kind == ApproverKind.GROUP and self.group_id is None:
            raise ValidationError({"group": "Choose the group whose members approve."})
        if self.approver_kind == ApproverKind.USER and self.user_id is None:
            raise ValidationError({"user": "Choose the person who approves."})


class FulfilmentStep(models.Model):
    """One task of an item's fulfilment plan. Steps of one stage are worked in parallel; the
    next stage's start when all of the stage before are complete. The order's answers are
    copied into each task."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="fulfilment_steps")
    stage = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who does it (default: the item's fulfilment group).",
    )
    webhook_url = models.URLField(
        blank=True,
        help_text="Done by a call: POSTed the order as JSON; a 2xx answer completes the task.",
    )
    webhook_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="Signs each call (HMAC-SHA256 of the body, in X-Watchkeeper-Signature).",
    )

    class Meta:
        ordering = ["stage", "id"]

    def __str__(self) -> str:
        return f"{self.item}: {self.title}"


class ServiceRequestQuerySet(models.QuerySet["ServiceRequest"]):
    def restrict(self, user: Any) -> ServiceRequestQuerySet:
        """The requests ``user`` may see: staff with ``requests.view_all`` see all; anyone else
        those they ordered, that were ordered for them, or that they were asked to approve."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_perm(RequestPermission.VIEW_ALL):
            return self
        mine = Q(requested_by=user) | Q(requested_for=user) | Q(items__approvals__approver=user)
        return self.filter(pk__in=self.filter(mine).values("pk"))


class ServiceRequest(ItsmRecord):
    """An order from the catalog (REQ): one or more requested items for one person."""

    NUMBER_PREFIX = "REQ"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests_made"
    )
    requested_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests_received"
    )
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.OPEN, db_index=True
    )
    short_description = models.CharField(max_length=300)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.state == RequestState.OPEN


class RequestedItem(models.Model):
    """One line of a request: a catalog item, how many, the form's answers, its own state.
    Its changes are recorded in the request's history (``items.<position>.<field>``)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    catalog_item = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="requested"
    )
    quantity = models.PositiveIntegerField(default=1)
    answers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=ItemState.choices, db_index=True)
    fulfilment_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_items",
    )
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the catalog item's SLA says."
    )
    breach_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "position"], name="requests_item_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request.number}/{self.position} {self.catalog_item}"


class Approval(models.Model):
    """One person's decision on one requested item at one level of its approval policy."""

    requested_item = models.ForeignKey(
        RequestedItem, on_delete=models.CASCADE, related_name="approvals"
    )
    level = models.PositiveIntegerField()
    rule = models.CharField(max_length=4, choices=ApprovalRule.choices)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals"
    )
    state = models.CharField(
        max_length=12,
        choices=ApprovalState.choices,
        default=ApprovalState.REQUESTED,
        db_index=True,
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who decided: the approver, or their delegate.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why this approval is asked beyond the item's policy (a broken rule).",
    )

    class Meta:
        ordering = ["requested_item", "level", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_item", "level", "approver"], name="requests_approval_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_item}: {self.approver} ({self.state})"


class FulfilmentTask(ItsmRecord):
    """A piece of work delivering a requested item (TASK), for a group."""

    NUMBER_PREFIX = "TASK"

    requested_item = models.ForeignKey(
        RequestedItem, on_delete=models.CASCADE, related_name="tasks"
    )
    stage = models.PositiveIntegerField()
    step = models.ForeignKey(
        FulfilmentStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fulfilment_tasks",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fulfilment_tasks",
    )
    state = models.CharField(
        max_length=12, choices=TaskState.choices, default=TaskState.OPEN, db_index=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_item", "stage", "id"]


class ApprovalDelegation(models.Model):
    """While ``user`` is away (``starts_on`` to ``ends_on``, both included), ``delegate`` may
    decide the approvals asked of them (``requests.delegation``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.user} → {self.delegate} ({self.starts_on} to {self.ends_on})"


class RequestAttachment(models.Model):
    """A file answering an attachment question of an order form, stored under the data
    directory and served only to those who may see the request."""

    requested_item = models.ForeignKey(
        RequestedItem, on_delete=models.CASCADE, related_name="attachments"
    )
    variable = models.CharField(max_length=50, help_text="The question it answers.")
    file = models.FileField(upload_to="requests/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_item", "variable", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_item", "variable"], name="requests_attachment_per_question"
            )
        ]

    def __str__(self) -> str:
        return self.name
