"""The knowledge base: articles (KB) in categories, for everyone or for agents only, each with
its versions (drafted, reviewed, published), feedback, files and the record of how suggestions
were used (from which deflections are counted)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from watchkeeper.core.models import ItsmRecord
from watchkeeper.knowledge.choices import ArticleState, Audience, UseKind, VersionState

USER = settings.AUTH_USER_MODEL


class KnowledgeCategory(models.Model):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "knowledge categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="knowledge_category_unique")
        ]

    def __str__(self) -> str:
        return self.name if self.parent is None else f"{self.parent} / {self.name}"


class Article(ItsmRecord):
    """A knowledge article (KB). Readers see its published version; its authors work on a newer
    version until it is reviewed and published in its place."""

    NUMBER_PREFIX = "KB"

    title = models.CharField(max_length=200, help_text="Of the published version.")
    category = models.ForeignKey(
        KnowledgeCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    state = models.CharField(
        max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT, db_index=True
    )
    published = models.OneToOneField(
        "knowledge.ArticleVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version readers see.",
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="owned_articles")
    keywords = models.CharField(max_length=300, blank=True, help_text="Words people search with.")
    valid_until = models.DateField(
        null=True, blank=True, db_index=True, help_text="Reviewed again by then."
    )
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    services = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="articles")

    class Meta:
        ordering = ["-updated_at"]


class ArticleVersion(models.Model):
    """One version of an article's text; published versions are never edited again."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    state = models.CharField(
        max_length=10, choices=VersionState.choices, default=VersionState.DRAFT, db_index=True
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique"),
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(state__in=[VersionState.DRAFT, VersionState.IN_REVIEW]),
                name="knowledge_one_version_in_work",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.number} v{self.number}"


class ArticleAttachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="knowledge/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class ArticleFeedback(models.Model):
    """One reader's verdict on an article: helpful or not (one per reader, changeable)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="knowledge_feedback_once")
        ]

    def __str__(self) -> str:
        return f"{self.article.number} by {self.user_id}: {'yes' if self.helpful else 'no'}"


class ArticleUse(models.Model):
    """An article suggested, opened, said to solve a problem, or attached to a resolution.

    ``draft`` ties what happened while one person wrote one incident in the portal: when that
    incident is submitted its uses are marked ``followed_by_incident``; an article opened from a
    suggestion (or said to solve it) whose draft was never submitted is a deflection."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=UseKind.choices, db_index=True)
    draft = models.CharField(max_length=64, blank=True, db_index=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    followed_by_incident = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "draft", "kind"],
                condition=Q(kind=UseKind.SUGGESTED) & ~Q(draft=""),
                name="knowledge_suggested_once_per_draft",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind}"
