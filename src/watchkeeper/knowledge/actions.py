"""Every write to an article's text and life: create it (a first draft), edit the draft (a
published article gets a new draft; readers keep the published one), submit it for review,
review it (publish or send back), change its details, retire it.

Each action locks the article, changes it with a new ``version`` (optimistic concurrency) and
appends the entry to its history in the same transaction; the search index holds the title,
keywords and text readers see (of the published version; of the draft before any is
published, for the writers who alone see it then)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from watchkeeper.accounts.system import system_user
from watchkeeper.core import search
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import Article, ArticleVersion, KnowledgeCategory
from watchkeeper.knowledge.permissions import KnowledgePermission as P

MAX_BODY = 100_000
IN_WORK = (VersionState.DRAFT, VersionState.IN_REVIEW)
#: The article's details ``update_details`` changes (the text goes through versions).
DETAILS = ("category", "audience", "keywords", "valid_until", "owner")


def search_text(article: Article) -> str:
    version = article.published or working_version(article)
    body = version.body if version is not None else ""
    return f"{article.number} {article.title} {article.keywords} {body}"


def reindex(article: Article) -> None:
    search.index(article, search_text(article))


def working_version(article: Article) -> ArticleVersion | None:
    """The version being drafted or reviewed, if any (at most one, by a constraint)."""
    return article.versions.filter(state__in=IN_WORK).first()


def _clean_text(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Give the article a title."
    elif len(title) > 200:
        errors["title"] = "At most 200 characters."
    if not body:
        errors["body"] = "Write the article's text."
    elif len(body) > MAX_BODY:
        errors["body"] = f"At most {MAX_BODY:,} characters."
    if errors:
        raise ValidationError(errors)
    return title, body


def author_of(acting_user: Any) -> Any:
    return acting_user if acting_user is not None else system_user()


def create_article(
    *,
    title: str,
    body: str,
    acting_user: Any,
    audience: str = Audience.EVERYONE,
    category: KnowledgeCategory | None = None,
    keywords: str = "",
    valid_until: dt.date | None = None,
    channel: str = Channel.WEB,
) -> Article:
    """A new article (KB) with its first version as a draft; ``acting_user`` owns it."""
    require_permission(acting_user, P.WRITE)
    title, body = _clean_text(title, body)
    if audience not in Audience.values:
        raise ValidationError({"audience": f"One of: {', '.join(Audience.values)}."})
    article = Article(
        title=title,
        audience=audience,
        category=category,
        keywords=keywords.strip()[:300],
        valid_until=valid_until,
        owner=author_of(acting_user),
        state=ArticleState.DRAFT,
    )
    with transaction.atomic():
        article.number = next_number(Article.NUMBER_PREFIX)
        article.save()
        ArticleVersion.objects.create(
            article=article, number=1, title=title, body=body, author=author_of(acting_user)
        )
        created = {
            "title": (None, title),
            "audience": (None, audience),
            "category": (None, category),
            "keywords": (None, article.keywords),
            "valid_until": (None, valid_until),
        }
        record_change(
            article, action="created", actor=acting_user, channel=channel, changes=created
        )
        reindex(article)
    return article


def next_version_number(article: Article) -> int:
    highest = article.versions.aggregate(highest=Max("number"))["highest"]
    return (highest or 0) + 1


def save_draft(
    article: Article,
    *,
    title: str,
    body: str,
    acting_user: Any,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> ArticleVersion:
    """Change the draft's text, or start a new draft from the newest text when none is in work
    (a published, sent-back or retired article). A version in review is not edited: the
    reviewer sends it back first."""
    require_permission(acting_user, P.WRITE)
    title, body = _clean_text(title, body)
    with transaction.atomic():
        current = lock_current(article, expected_version)
        draft = working_version(current)
        if draft is not None and draft.state == VersionState.IN_REVIEW:
            raise ValidationError({"body": f"Version {draft.number} is in review; wait for it."})
        if draft is None:
            draft = ArticleVersion(
                article=current, number=next_version_number(current), author=author_of(acting_user)
            )
            old: tuple[Any, Any] = (None, None)
        else:
            old = (draft.title, draft.body)
        if old == (title, body):
            return draft
        draft.title, draft.body = title, body
        draft.save()
        notes = {"draft": (None, f"v{draft.number}: {title}")}
        save_versioned(
            current, {}, action="draft_saved", acting_user=acting_user, channel=channel, notes=notes
        )
        if current.published_id is None:
            _set(current, {"title": title})
            reindex(current)
    article.version = current.version
    return draft


def _set(article: Article, values: Mapping[str, Any]) -> None:
    """Fields that follow from another change (no entry of their own)."""
    for name, value in values.items():
        setattr(article, name, value)
    article.save(update_fields=[*values])


def submit(
    article: Article,
    *,
    acting_user: Any,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> ArticleVersion:
    """Send the draft for review by someone who may publish."""
    require_permission(acting_user, P.WRITE)
    with transaction.atomic():
        current = lock_current(article, expected_version)
        draft = working_version(current)
        if draft is None or draft.state != VersionState.DRAFT:
            raise ValidationError({"state": f"{current.number} has no draft to submit."})
        draft.state, draft.submitted_at = VersionState.IN_REVIEW, timezone.now()
        draft.save(update_fields=["state", "submitted_at"])
        changes: dict[str, tuple[Any, Any]] = {}
        if current.published_id is None:
            changes["state"] = (current.state, ArticleState.IN_REVIEW)
            current.state = ArticleState.IN_REVIEW
        notes = {f"v{draft.number}": (VersionState.DRAFT, VersionState.IN_REVIEW)}
        save_versioned(
            current,
            changes,
            action="submitted",
            acting_user=acting_user,
            channel=channel,
            notes=notes,
        )
    article.version = current.version
    return draft


def publish_version(
    current: Article, version: ArticleVersion, *, acting_user: Any, channel: str, comment: str
) -> None:
    """Make ``version`` the one readers see, superseding the one before; ``current`` is locked
    in the caller's transaction, which also writes the history entry (``published``)."""
    now = timezone.now()
    previous = current.published
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
        previous.save(update_fields=["state"])
    version.state, version.published_at = VersionState.PUBLISHED, now
    version.reviewed_by, version.reviewed_at = author_of(acting_user), now
    version.review_comment = comment
    version.save()
    changes = {
        "published": (previous, version),
        "title": (current.title, version.title),
        "state": (current.state, ArticleState.PUBLISHED),
    }
    current.published, current.title, current.state = version, version.title, ArticleState.PUBLISHED
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    save_versioned(
        current,
        changes,
        action="published",
        acting_user=acting_user,
        channel=channel,
        notes={"comment": (None, comment)} if comment else None,
    )
    reindex(current)


def review(
    article: Article,
    *,
    publish: bool,
    comment: str = "",
    acting_user: Any,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> ArticleVersion:
    """Publish the version in review, or send it back to its author with ``comment`` (needed
    then). Only those who may publish review, and never their own version."""
    require_permission(acting_user, P.PUBLISH)
    comment = (comment or "").strip()
    if not publish and not comment:
        raise ValidationError({"comment": "Say what needs changing."})
    with transaction.atomic():
        current = lock_current(article, expected_version)
        version = working_version(current)
        if version is None or version.state != VersionState.IN_REVIEW:
            raise ValidationError({"state": f"{current.number} has no version in review."})
        if acting_user is not None and version.author_id == acting_user.pk:
            raise PermissionDenied("Someone else reviews your version (four eyes).")
        if publish:
            publish_version(
                current, version, acting_user=acting_user, channel=channel, comment=comment
            )
        else:
            _send_back(current, version, acting_user, comment, channel)
    article.version = current.version
    return version


def _send_back(
    current: Article, version: ArticleVersion, acting_user: Any, comment: str, channel: str
) -> None:
    version.state, version.review_comment = VersionState.REJECTED, comment
    version.reviewed_by, version.reviewed_at = acting_user, timezone.now()
    version.save()
    changes: dict[str, tuple[Any, Any]] = {}
    if current.published_id is None:
        changes["state"] = (current.state, ArticleState.DRAFT)
        current.state = ArticleState.DRAFT
    notes = {
        f"v{version.number}": (VersionState.IN_REVIEW, VersionState.REJECTED),
        "comment": (None, comment),
    }
    save_versioned(
        current, changes, action="sent_back", acting_user=acting_user, channel=channel, notes=notes
    )


def retire(
    article: Article,
    *,
    acting_user: Any,
    reason: str,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> Article:
    """Readers no longer see it; writers still do, and publishing a new version brings it
    back."""
    require_permission(acting_user, P.PUBLISH)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why it is retired."})
    with transaction.atomic():
        current = lock_current(article, expected_version)
        if current.state == ArticleState.RETIRED:
            raise ValidationError({"state": f"{current.number} is already retired."})
        changes = {"state": (current.state, ArticleState.RETIRED)}
        current.state = ArticleState.RETIRED
        save_versioned(
            current,
            changes,
            action="retired",
            acting_user=acting_user,
            channel=channel,
            notes={"reason": (None, reason.strip())},
        )
    return current


def update_details(
    article: Article,
    values: Mapping[str, Any],
    *,
    acting_user: Any,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> dict[str, tuple[Any, Any]]:
    """Change the category, audience, keywords, valid-until date or owner. A new valid-until
    date re-arms the review reminder."""
    require_permission(acting_user, P.WRITE)
    unknown = set(values) - set(DETAILS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    if "audience" in values and values["audience"] not in Audience.values:
        raise ValidationError({"audience": f"One of: {', '.join(Audience.values)}."})
    if "owner" in values and not getattr(values["owner"], "is_active", False):
        raise ValidationError({"owner": "The owner must be an active user."})
    with transaction.atomic():
        current = lock_current(article, expected_version)
        cleaned = dict(values)
        if "keywords" in cleaned:
            cleaned["keywords"] = (cleaned["keywords"] or "").strip()[:300]
        changes = {
            k: (getattr(current, k), v) for k, v in cleaned.items() if getattr(current, k) != v
        }
        if not changes:
            return changes
        for name, (_old, new) in changes.items():
            setattr(current, name, new)
        extra = []
        if "valid_until" in changes:
            current.review_reminded_at, extra = None, ["review_reminded_at"]
        save_versioned(
            current,
            changes,
            action="updated",
            acting_user=acting_user,
            channel=channel,
            extra_fields=extra,
        )
        reindex(current)
    for name in (*changes, "version", "review_reminded_at"):
        setattr(article, name, getattr(current, name))
    return changes
