"""The incident record."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from watchkeeper.core.choices import Channel
from watchkeeper.core.models import ItsmRecord
from watchkeeper.incidents.choices import (
    OPEN_STATES,
    HoldReason,
    Impact,
    IncidentState,
    Priority,
    ResolutionCode,
    Urgency,
)
from watchkeeper.incidents.permissions import IncidentPermission

USER = settings.AUTH_USER_MODEL


class IncidentQuerySet(models.QuerySet["Incident"]):
    def restrict(self, user: Any, action: str = "view") -> IncidentQuerySet:
        """The incidents ``user`` may see: staff see all; a requester only those they called in
        or watch. (``action`` is kept for the convention: every action needs view first.)"""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_perm(IncidentPermission.VIEW_ALL):
            return self
        return self.filter(Q(caller=user) | Q(watch_list=user)).distinct()

    def open(self) -> IncidentQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Incident(ItsmRecord):
    """An unplanned interruption or reduction in quality of an IT service (ITIL)."""

    NUMBER_PREFIX = "INC"

    caller = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="incidents_called")
    opened_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="incidents_opened", null=True, blank=True
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True, help_text="Markdown")
    category = models.ForeignKey(
        "incidents.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subcategory = models.ForeignKey(
        "incidents.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_incidents",
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ci_incidents",
    )
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PLANNING)
    priority_override_reason = models.CharField(max_length=500, blank=True)
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents_assigned"
    )
    watch_list: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="incidents_watched"
    )
    tags = models.ManyToManyField("incidents.Tag", blank=True, related_name="incidents")

    state = models.CharField(
        max_length=16, choices=IncidentState.choices, default=IncidentState.NEW
    )
    hold_reason = models.CharField(max_length=24, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(max_length=32, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_contact_resolution = models.BooleanField(default=False)
    reopen_count = models.PositiveIntegerField(default=0)
    reassignment_count = models.PositiveIntegerField(default=0)
    first_response_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)

    is_major = models.BooleanField(default=False)
    major_reason = models.TextField(blank=True)
    major_manager = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    major_declared_at = models.DateTimeField(null=True, blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "priority"], name="incident_state_priority"),
            models.Index(fields=["assignment_group", "state"], name="incident_group_state"),
            models.Index(fields=["assignee", "state"], name="incident_assignee_state"),
            models.Index(fields=["caller", "created_at"], name="incident_caller_created"),
            models.Index(fields=["updated_at"], name="incident_updated"),
            # The priority sort walks this index (id breaks ties) instead of sorting every row.
            models.Index(fields=["priority", "id"], name="incident_priority_id"),
            models.Index(fields=["is_major", "state"], name="incident_major_state"),
            # Children by parent: a partial index, because nearly every incident has no parent
            # and SQLite's statistics would then judge the plain index useless.
            models.Index(
                fields=["parent"], name="incident_children", condition=Q(parent__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES
