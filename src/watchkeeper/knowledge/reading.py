"""Who reads which articles, and what reading writes: the view count and feedback.

Requesters read the published articles for everyone; agents (``knowledge.read_internal``) also
those for agents; writers (``knowledge.write``) see every article, drafts and retired ones too,
in the desk. Each view of an article's page by a reader other than its owner adds one to its
view count (simply each view: no per-reader log is kept). Feedback is one verdict per reader,
which they may change; the article's counts are recounted from the verdicts each time, so they
never drift."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.knowledge.choices import ArticleState, Audience
from watchkeeper.knowledge.models import Article, ArticleFeedback
from watchkeeper.knowledge.permissions import KnowledgePermission as P

#: An article is flagged "Review needed" this many days before its valid-until date.
REVIEW_WARNING_DAYS = 14
MAX_COMMENT = 2_000


def published_for(user: Any) -> QuerySet[Article]:
    """The published articles ``user`` may read (what the portal and search show)."""
    rows = Article.objects.filter(state=ArticleState.PUBLISHED, published__isnull=False)
    if user.has_perm(P.READ_INTERNAL):
        return rows
    if user.has_perm(P.READ):
        return rows.filter(audience=Audience.EVERYONE)
    return rows.none()


def restrict(user: Any) -> QuerySet[Article]:
    """Every article ``user`` may open: all of them for writers, else the published ones."""
    if user.has_perm(P.WRITE):
        return Article.objects.all()
    return published_for(user)


def review_needed(article: Article, today: dt.date | None = None) -> bool:
    """Its valid-until date is near (``REVIEW_WARNING_DAYS``) or past."""
    if article.valid_until is None or article.state == ArticleState.RETIRED:
        return False
    today = today or timezone.localdate()
    return article.valid_until <= today + dt.timedelta(days=REVIEW_WARNING_DAYS)


def count_view(article: Article, user: Any) -> None:
    """One more view, unless the owner reads their own article (a counter, not history)."""
    if user.pk == article.owner_id or article.state != ArticleState.PUBLISHED:
        return
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    article.view_count += 1


def give_feedback(
    article: Article,
    *,
    helpful: bool,
    acting_user: Any,
    comment: str = "",
    channel: str = Channel.WEB,
) -> ArticleFeedback:
    """Record (or change) ``acting_user``'s verdict on a published article they may read."""
    require_permission(acting_user, P.READ)
    if not published_for(acting_user).filter(pk=article.pk).exists():
        raise ValidationError({"article": f"{article.number} is not published for you."})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"At most {MAX_COMMENT:,} characters."})
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        existing = ArticleFeedback.objects.filter(article=current, user=acting_user).first()
        old = None if existing is None else existing.helpful
        feedback, _ = ArticleFeedback.objects.update_or_create(
            article=current, user=acting_user, defaults={"helpful": helpful, "comment": comment}
        )
        _recount(current)
        if old != helpful:
            verdict = "helpful" if helpful else "not helpful"
            record_change(
                current,
                action="feedback",
                actor=acting_user,
                channel=channel,
                changes={"feedback": (None, verdict)},
            )
    article.helpful_count = current.helpful_count
    article.not_helpful_count = current.not_helpful_count
    return feedback


def _recount(article: Article) -> None:
    counts = ArticleFeedback.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    article.helpful_count, article.not_helpful_count = counts["yes"], counts["no"]
    article.save(update_fields=["helpful_count", "not_helpful_count"])


def verdict_of(article: Article, user: Any) -> bool | None:
    """``user``'s verdict on ``article``: True (helpful), False, or None (none given)."""
    found = ArticleFeedback.objects.filter(article=article, user=user).first()
    return None if found is None else found.helpful


def workspace_tab(user: Any) -> Any:
    """The workspace's "Knowledge" tab for writers, with the count waiting for review."""
    from django.urls import reverse

    from watchkeeper.knowledge.choices import VersionState
    from watchkeeper.requests.queries import Tab

    if not user.has_perm(P.WRITE):
        return None
    waiting = Article.objects.filter(versions__state=VersionState.IN_REVIEW).count()
    return Tab("knowledge", "Knowledge", reverse("knowledge:desk_list"), f"{waiting} to review")
