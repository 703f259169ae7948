"""Problems (PRB): the cause of one or more incidents, worked from assessment through root cause
analysis to a fix; their tasks (PTASK); and the problem candidates the recurring-incident
analysis proposes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from watchkeeper.core.models import ItsmRecord
from watchkeeper.problems.choices import (
    CandidateBasis,
    CandidateState,
    ProblemResolution,
    ProblemState,
    ProblemTaskKind,
    ProblemTaskState,
)

USER = settings.AUTH_USER_MODEL


class Problem(ItsmRecord):
    """A problem; with a root cause and a workaround it can become a known error."""

    NUMBER_PREFIX = "PRB"

    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True, help_text="Markdown")
    state = models.CharField(
        max_length=24, choices=ProblemState.choices, default=ProblemState.NEW, db_index=True
    )
    impact = models.PositiveSmallIntegerField(default=3)
    urgency = models.PositiveSmallIntegerField(default=3)
    priority = models.PositiveSmallIntegerField(default=4, db_index=True)
    category = models.ForeignKey(
        "incidents.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_problems",
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problems"
    )
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_problems"
    )
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    root_cause = models.TextField(blank=True, help_text="Markdown")
    workaround = models.TextField(blank=True, help_text="Markdown")
    fix = models.TextField(blank=True, help_text="Markdown: what removes the cause")
    fix_reference = models.CharField(
        max_length=100, blank=True, help_text="The change (or vendor case) that delivers the fix."
    )
    five_whys = models.JSONField(
        default=list, blank=True, help_text="The analysis: each why and its answer, in order."
    )
    timeline = models.JSONField(
        default=list, blank=True, help_text="The analysis: what happened when ({at, text})."
    )
    known_error = models.BooleanField(default=False, db_index=True)
    known_error_at = models.DateTimeField(null=True, blank=True)
    article = models.OneToOneField(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="known_error",
        help_text="The known-error article published to agents.",
    )
    resolution = models.CharField(max_length=16, choices=ProblemResolution.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "priority"], name="problem_state_priority")]


class ProblemIncident(models.Model):
    """An incident caused by a problem: an incident belongs to one problem at most."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="problem_link"
    )
    linked_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)
    automatic = models.BooleanField(
        default=False, help_text="Linked by matching a known error, not by a person."
    )

    class Meta:
        ordering = ["problem", "linked_at", "pk"]

    def __str__(self) -> str:
        return f"{self.problem} ← {self.incident}"


class ProblemTask(ItsmRecord):
    """A piece of the problem's work (PTASK): analysis, a workaround, a fix."""

    NUMBER_PREFIX = "PTASK"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(
        max_length=12, choices=ProblemTaskKind.choices, default=ProblemTaskKind.GENERAL
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown")
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="problem_tasks"
    )
    state = models.CharField(
        max_length=12,
        choices=ProblemTaskState.choices,
        default=ProblemTaskState.OPEN,
        db_index=True,
    )
    notes = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["problem", "created_at", "pk"]


class ProblemCandidate(models.Model):
    """A recurring pattern of incidents the periodic analysis found, with its evidence, for a
    problem manager to accept (it becomes a problem) or dismiss."""

    basis = models.CharField(max_length=20, choices=CandidateBasis.choices)
    key = models.CharField(
        max_length=200, help_text="What the incidents share: a CI's id, a category's, a text's."
    )
    title = models.CharField(max_length=200)
    evidence = models.JSONField(
        default=dict, help_text="Why: the window, the count, the common words, the incidents."
    )
    incidents = models.ManyToManyField("incidents.Incident", related_name="+")
    state = models.CharField(
        max_length=10,
        choices=CandidateState.choices,
        default=CandidateState.PROPOSED,
        db_index=True,
    )
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was dismissed.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "key"],
                condition=Q(state=CandidateState.PROPOSED),
                name="problem_candidate_one_proposed",
            )
        ]

    def __str__(self) -> str:
        return self.title
