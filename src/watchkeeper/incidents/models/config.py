"""What administrators configure: the category tree, the priority matrix, tags."""

from __future__ import annotations

from django.db import models

from watchkeeper.incidents.choices import Impact, Priority, Urgency


class Category(models.Model):
    """A category, or with a parent a subcategory (two levels, as ServiceNow's default)."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    default_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Where incidents of this category go when the caller does not say.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=models.Q(parent__isnull=False),
                name="subcategory_unique_name",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="category_unique_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class PriorityRule(models.Model):
    """One cell of the impact x urgency matrix; seeded with the ITIL matrix."""

    impact = models.PositiveSmallIntegerField(choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique")
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} x urgency {self.urgency} = priority {self.priority}"


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
