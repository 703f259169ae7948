"""Major incidents: the communication log and the post-incident review."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MajorIncidentUpdate(models.Model):
    """One entry of a major incident's communication log, e-mailed to its stakeholders."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="major_updates"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    recipients = models.JSONField(default=list, help_text="E-mail addresses it was sent to")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Update on {self.incident_id} at {self.created_at:%Y-%m-%d %H:%M}"


class PostIncidentReview(models.Model):
    """The review a major incident needs, completed, before it may close."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="review"
    )
    summary = models.TextField(blank=True)
    timeline = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    follow_up_actions = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Review of {self.incident_id}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
