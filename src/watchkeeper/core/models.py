"""Base records and the tables every app shares: history, numbering, search entries."""

from __future__ import annotations

import re
from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from watchkeeper.core.choices import Channel


class Historied(models.Model):
    """A record with an append-only, hash-chained history (see ``core.history``).

    The head of the chain (its length and last hash) is kept on the record itself, so deleting
    history rows, even all of them, is caught by ``watchkeeper audit verify``.
    """

    history_length = models.PositiveIntegerField(default=0, editable=False)
    history_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        abstract = True


class ItsmRecord(Historied):
    """Abstract base of every ITSM record: a human number, timestamps and a version for locking.

    ``version`` grows by one on every change; an edit made against an older version is refused
    (optimistic concurrency), so two people never overwrite each other silently.
    """

    NUMBER_PREFIX: ClassVar[str] = ""

    number = models.CharField(max_length=16, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class HistoryEntry(models.Model):
    """One link of a record's history chain: who changed what, when and through which channel."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    sequence = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # The id stays when the user is deleted: it is part of the entry's hash (see history.py);
        # ``actor_label`` keeps the name, so read that rather than ``actor`` for display.
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=150)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=64)
    changes = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "sequence"], name="history_unique_sequence"
            )
        ]
        indexes = [models.Index(fields=["at"], name="history_at")]
        verbose_name_plural = "history entries"

    def __str__(self) -> str:
        return f"{self.content_type.model}:{self.object_id}#{self.sequence} {self.action}"


class NumberSequence(models.Model):
    """The last number handed out for one prefix (INC, REQ, …); locked while a number is taken."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_value:07d}"


_WORDS = re.compile(r"\w+", re.UNICODE)


class SearchEntry(models.Model):
    """The searchable text of one record.

    A migration adds the full-text index per database: an FTS5 table kept in step by triggers on
    SQLite, a stored ``tsvector`` column with a GIN index on PostgreSQL.

    The id is not a counter but ``content type id * KEY_SPAN + record id`` (``for_record``): a
    search then turns a full-text match into record ids by arithmetic, without reading the
    entries, which is what keeps it fast at a million records.
    """

    KEY_SPAN = 2**40

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="search_unique_object"
            )
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.content_type.model}:{self.object_id}"

    @classmethod
    def key(cls, content_type_id: int, record_id: int) -> int:
        if not 0 < record_id < cls.KEY_SPAN:
            raise ValueError(f"Search needs integer record ids below 2**40, not {record_id!r}.")
        return content_type_id * cls.KEY_SPAN + record_id

    @classmethod
    def for_record(cls, content_type_id: int, record_id: int, text: str) -> SearchEntry:
        """The entry holds the words of ``text`` only, as queries are split into words: so
        PostgreSQL's parser sees "web-01.example.org" or "srv-01" as the words "web", "01"…
        a query can name, not as one host name or a negative number it never matches."""
        return cls(
            id=cls.key(content_type_id, record_id),
            content_type_id=content_type_id,
            object_id=str(record_id),
            text=" ".join(_WORDS.findall(text)),
        )


class NotificationTemplate(Historied):
    """An administrator's text for one notification, replacing the file template of that name.

    ``subject`` and ``body`` are Django templates rendered with the same context as the file
    (``recipient``, ``base_url`` and what the sender passes, e.g. ``incident``).
    """

    key = models.CharField(
        max_length=200,
        unique=True,
        help_text='The file template it replaces, e.g. "incidents/email/comment.txt".',
    )
    subject = models.CharField(
        max_length=300,
        blank=True,
        help_text="A template for the subject; empty keeps the usual subject.",
    )
    body = models.TextField(help_text="A template for the message text.")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from django.template import Template, TemplateSyntaxError

        errors = {}
        for field in ("subject", "body"):
            try:
                Template(getattr(self, field))
            except TemplateSyntaxError as error:
                errors[field] = f"Not a valid template: {error}"
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """An in-app notification: everything relevant to a user, whatever their e-mail choices."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read")]

    def __str__(self) -> str:
        return self.title
