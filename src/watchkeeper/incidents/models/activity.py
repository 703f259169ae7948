"""Comments, work notes and attachments: the conversation around an incident."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from watchkeeper.core.choices import Channel
from watchkeeper.incidents.choices import ActivityKind


class Activity(models.Model):
    """A comment (the caller sees it) or a work note (staff only).

    ``body`` is the Markdown as written; ``body_html`` its sanitized rendering (nh3).
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    body_html = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="activity_incident")]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.incident_id} by {self.author_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == ActivityKind.WORK_NOTE


class Attachment(models.Model):
    """A file on an incident, stored under the data directory and served only to viewers."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(default=False, help_text="Staff only, like a work note")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
