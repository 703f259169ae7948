"""Articles due for review: once an article's valid-until date is ``REVIEW_WARNING_DAYS`` (14)
away or past, its owner is told once (in-app and by e-mail); a new valid-until date re-arms the
reminder (``actions.update_details``). The scheduler runs ``remind_due`` daily; each article is
re-read and locked, so two schedulers send nothing twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.knowledge.choices import ArticleState
from watchkeeper.knowledge.models import Article
from watchkeeper.knowledge.reading import REVIEW_WARNING_DAYS

register_kind(
    "knowledge_review",
    "Knowledge reviews",
    "An article you own reaches its valid-until date and needs a review.",
)


def due(today: dt.date) -> list[int]:
    horizon = today + dt.timedelta(days=REVIEW_WARNING_DAYS)
    rows = Article.objects.filter(
        state=ArticleState.PUBLISHED, valid_until__lte=horizon, review_reminded_at__isnull=True
    )
    return list(rows.values_list("pk", flat=True))


def remind_due(today: dt.date | None = None) -> int:
    """How many owners were reminded."""
    today = today or timezone.localdate()
    return sum(_remind(pk, today) for pk in due(today))


def _remind(pk: int, today: dt.date) -> int:
    with transaction.atomic():
        article = Article.objects.select_for_update().select_related("owner").get(pk=pk)
        if article.review_reminded_at is not None or article.valid_until is None:
            return 0
        now = timezone.now()
        article.review_reminded_at = now
        article.save(update_fields=["review_reminded_at"])
        record_change(
            article,
            action="review_reminded",
            channel=Channel.JOB,
            changes={"review_reminded_at": (None, now)},
        )
        url = reverse("knowledge:desk_article", args=[article.number])
        notify(
            [article.owner],
            kind="knowledge_review",
            subject=f"Review needed: {article.number} {article.title}",
            template="knowledge/email/review_due.txt",
            context={"article": article, "url": url, "overdue": article.valid_until < today},
            url=url,
        )
    return 1
