"""The known-error article of a problem: published to agents at once, without review.

A known error is a problem whose root cause and workaround the problem's people have written
and checked already; the service desk needs the workaround now, so the article skips the
review. Each call writes a new version from the problem as it is (number, symptoms, root cause,
workaround), superseding the one readers saw. The caller (the problem's action) saves
``problem.article``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current
from watchkeeper.knowledge.actions import author_of, next_version_number, publish_version
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import Article, ArticleVersion
from watchkeeper.knowledge.permissions import KnowledgePermission

REVIEW_NOTE = "Known error: published without review."


def title_for(problem: Any) -> str:
    return f"Known error: {problem.short_description}"[:200]


def body_for(problem: Any) -> str:
    """The article's Markdown; the problem's texts are Markdown already."""
    sections = [
        f"This is a **known error**, recorded in problem {problem.number}.",
        f"## Symptoms\n\n{(problem.description or problem.short_description).strip()}",
        f"## Root cause\n\n{problem.root_cause.strip() or 'Not recorded yet.'}",
        f"## Workaround\n\n{problem.workaround.strip() or 'None known yet.'}",
    ]
    return "\n\n".join(sections) + "\n"


def publish_for_problem(problem: Any, acting_user: Any, *, channel: str = Channel.WEB) -> Article:
    """The problem's agents-only article, created or given a new published version."""
    require_permission(acting_user, KnowledgePermission.WRITE)
    title, body = title_for(problem), body_for(problem)
    with transaction.atomic():
        article = problem.article
        if article is None:
            article = _create(problem, title, acting_user, channel)
        current = lock_current(article, None)
        version = ArticleVersion.objects.create(
            article=current,
            number=next_version_number(current),
            title=title,
            body=body,
            state=VersionState.PUBLISHED,
            author=author_of(acting_user),
        )
        publish_version(
            current, version, acting_user=acting_user, channel=channel, comment=REVIEW_NOTE
        )
    return current


def _create(problem: Any, title: str, acting_user: Any, channel: str) -> Article:
    article = Article(
        number=next_number(Article.NUMBER_PREFIX),
        title=title,
        audience=Audience.AGENTS,
        state=ArticleState.DRAFT,
        owner=author_of(acting_user),
        keywords=problem.number,
    )
    article.save()
    created = {
        "title": (None, title),
        "audience": (None, Audience.AGENTS),
        "known_error": (None, problem.number),
    }
    record_change(article, action="created", actor=acting_user, channel=channel, changes=created)
    return article
