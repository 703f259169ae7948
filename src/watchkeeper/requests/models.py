"""The service catalog: categories, items and the typed variables of each item's order form.

Requests (REQ), their approvals and fulfilment tasks build on these (issue 7)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from watchkeeper.accounts.choices import Role
from watchkeeper.requests.choices import CHOICE_KINDS, VariableKind

VARIABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")


class CatalogCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "catalog categories"

    def __str__(self) -> str:
        return self.name


class CatalogItem(models.Model):
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
