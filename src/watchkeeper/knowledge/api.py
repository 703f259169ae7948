"""The knowledge base over the API: articles (list and search, read, write, review, retire),
their versions, feedback, files and the categories. Readers get the published version only, and
only of articles for their audience; drafts and versions are for writers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.accounts.models import User
from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.core.markup import render_markdown
from watchkeeper.core.search import search
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.knowledge import actions, attachments, reading
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    KnowledgeCategory,
)
from watchkeeper.knowledge.permissions import KnowledgePermission as P

router = Router(tags=["knowledge"])
PATH = "/knowledge/articles/{number}"
API = Channel.API
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
    422: ErrorOut,
}
READ_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ArticleOut(Schema):
    number: str
    title: str
    audience: Audience
    state: ArticleState
    category: str | None
    keywords: str
    owner: str = Field(..., alias="owner.username")
    valid_until: dt.date | None
    review_needed: bool
    published_version: int | None = Field(None, alias="published.number")
    view_count: int
    helpful_count: int
    not_helpful_count: int
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_category(article: Article) -> str | None:
        return str(article.category) if article.category_id else None

    @staticmethod
    def resolve_review_needed(article: Article) -> bool:
        return reading.review_needed(article)


class ArticleDetailOut(ArticleOut):
    body: str | None = Field(None, description="Markdown of the published version")
    body_html: str | None = Field(None, description="The same, rendered and sanitized")
    published_at: dt.datetime | None = Field(None, alias="published.published_at")

    @staticmethod
    def resolve_body(article: Article) -> str | None:
        return article.published.body if article.published else None

    @staticmethod
    def resolve_body_html(article: Article) -> str | None:
        return render_markdown(article.published.body) if article.published else None


class VersionOut(Schema):
    number: int
    title: str
    body: str
    state: VersionState
    author: str = Field(..., alias="author.username")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    reviewed_by: str | None = Field(None, alias="reviewed_by.username")
    reviewed_at: dt.datetime | None
    review_comment: str
    published_at: dt.datetime | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str = Field(..., alias="uploaded_by.username")
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_download_url(attachment: ArticleAttachment) -> str:
        args = [attachment.article.number, attachment.pk]
        return reverse("api:download_article_attachment", args=args)


class CategoryOut(Schema):
    id: int
    name: str
    parent: int | None = Field(None, alias="parent_id")
    path: str

    @staticmethod
    def resolve_path(category: KnowledgeCategory) -> str:
        return str(category)


class ArticleFilters(Schema):
    q: str = Field("", max_length=200, description="Words in the title, keywords or text")
    category: int | None = Field(None, ge=1, le=2**63 - 1)
    audience: Audience | None = None
    state: ArticleState | None = Field(None, description="Writers only see other than published")
    in_review: bool = Field(False, description="Only articles with a version waiting for review")


class ArticleIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=actions.MAX_BODY, description="Markdown")
    audience: Audience = Audience.EVERYONE
    category: int | None = Field(None, ge=1, le=2**63 - 1)
    keywords: str = Field("", max_length=300)
    valid_until: dt.date | None = None


class DetailsIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    audience: Audience | None = None
    category: int | None = Field(None, ge=0, le=2**63 - 1, description="0: none")
    keywords: str | None = Field(None, max_length=300)
    valid_until: dt.date | None = None
    owner: str | None = Field(None, min_length=1, max_length=150, description="A username")
    version: int | None = None


class DraftIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=actions.MAX_BODY, description="Markdown")
    version: int | None = Field(None, description="The article's version you read (409 if stale)")


class VersionIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    version: int | None = None


class ReviewIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    publish: bool = Field(..., description="true publishes; false sends it back (comment needed)")
    comment: str = Field("", max_length=2_000)
    version: int | None = None


class RetireIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=2_000)
    version: int | None = None


class FeedbackIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    helpful: bool
    comment: str = Field("", max_length=reading.MAX_COMMENT)


class FeedbackOut(Schema):
    helpful: bool
    comment: str
    helpful_count: int
    not_helpful_count: int


def _rows() -> QuerySet[Article]:
    return Article.objects.select_related("owner", "category__parent", "published")


def _article(user: Any, number: str) -> Article:
    return get_object_or_404(_rows().filter(pk__in=reading.restrict(user)), number=number.upper())


def _category(pk: int | None) -> KnowledgeCategory | None:
    if not pk:
        return None
    return get_object_or_404(KnowledgeCategory, pk=pk, is_active=True)


@router.get(
    "/knowledge/articles",
    response={200: list[ArticleOut], 403: ErrorOut, 422: ErrorOut},
    operation_id="list_articles",
)
@requires(P.READ)
@paginate(Pagination)
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]) -> QuerySet[Article]:
    """The articles you may read; with ``q``, best matches first. Writers also see drafts and
    retired articles."""
    rows = _rows().filter(pk__in=reading.restrict(caller(request)))
    if filters.category:
        rows = rows.filter(category_id=filters.category)
    if filters.audience:
        rows = rows.filter(audience=filters.audience)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.in_review:
        rows = rows.filter(versions__state=VersionState.IN_REVIEW)
    return search(rows, filters.q) if filters.q.strip() else rows


@router.get(PATH, response={200: ArticleDetailOut, **READ_ERRORS}, operation_id="get_article")
@requires(P.READ)
def get_article(request: HttpRequest, number: str) -> Article:
    """The article with its published version's text (none before the first publication)."""
    return _article(caller(request), number)


@router.post(
    "/knowledge/articles", response={201: ArticleDetailOut, **ERRORS}, operation_id="create_article"
)
@requires(P.WRITE)
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[Article]:
    """A new article; its text is the first version, a draft."""
    article = actions.create_article(
        title=payload.title,
        body=payload.body,
        audience=payload.audience,
        category=_category(payload.category),
        keywords=payload.keywords,
        valid_until=payload.valid_until,
        acting_user=caller(request),
        channel=API,
    )
    return Status(201, _article(caller(request), article.number))


@router.patch(PATH, response={200: ArticleDetailOut, **ERRORS}, operation_id="update_article")
@requires(P.WRITE)
def update_article(request: HttpRequest, number: str, payload: DetailsIn) -> Article:
    """Change the audience, category, keywords, valid-until date or owner."""
    user = caller(request)
    article = _article(user, number)
    given = payload.model_dump(exclude_unset=True)
    expected = given.pop("version", None)
    if "category" in given:
        given["category"] = _category(given["category"])
    if "owner" in given:
        given["owner"] = get_object_or_404(User, username=given["owner"], is_active=True)
    actions.update_details(article, given, acting_user=user, expected_version=expected, channel=API)
    return _article(user, number)


@router.get(
    f"{PATH}/versions",
    response={200: list[VersionOut], **READ_ERRORS},
    operation_id="list_article_versions",
)
@requires(P.WRITE)
def list_article_versions(request: HttpRequest, number: str) -> QuerySet[ArticleVersion]:
    """Every version, oldest first, with who wrote and who reviewed it."""
    article = _article(caller(request), number)
    return article.versions.select_related("author", "reviewed_by").order_by("number")


@router.put(
    f"{PATH}/draft", response={200: VersionOut, **ERRORS}, operation_id="save_article_draft"
)
@requires(P.WRITE)
def save_article_draft(request: HttpRequest, number: str, payload: DraftIn) -> ArticleVersion:
    """Write the draft (a new one when none is in work); readers keep the published version."""
    user = caller(request)
    return actions.save_draft(
        _article(user, number),
        title=payload.title,
        body=payload.body,
        acting_user=user,
        expected_version=payload.version,
        channel=API,
    )


@router.post(f"{PATH}/submit", response={200: VersionOut, **ERRORS}, operation_id="submit_article")
@requires(P.WRITE)
def submit_article(request: HttpRequest, number: str, payload: VersionIn) -> ArticleVersion:
    """Send the draft for review."""
    user = caller(request)
    return actions.submit(
        _article(user, number), acting_user=user, expected_version=payload.version, channel=API
    )


@router.post(f"{PATH}/review", response={200: VersionOut, **ERRORS}, operation_id="review_article")
@requires(P.PUBLISH)
def review_article(request: HttpRequest, number: str, payload: ReviewIn) -> ArticleVersion:
    """Publish the version in review, or send it back with a comment; never your own."""
    user = caller(request)
    return actions.review(
        _article(user, number),
        publish=payload.publish,
        comment=payload.comment,
        acting_user=user,
        expected_version=payload.version,
        channel=API,
    )


@router.post(
    f"{PATH}/retire", response={200: ArticleDetailOut, **ERRORS}, operation_id="retire_article"
)
@requires(P.PUBLISH)
def retire_article(request: HttpRequest, number: str, payload: RetireIn) -> Article:
    """Readers no longer see it."""
    user = caller(request)
    actions.retire(
        _article(user, number),
        reason=payload.reason,
        acting_user=user,
        expected_version=payload.version,
        channel=API,
    )
    return _article(user, number)


@router.put(
    f"{PATH}/feedback", response={200: FeedbackOut, **ERRORS}, operation_id="give_article_feedback"
)
@requires(P.READ)
def give_article_feedback(request: HttpRequest, number: str, payload: FeedbackIn) -> Any:
    """Your verdict, helpful or not: one per reader, given again to change it."""
    user = caller(request)
    article = get_object_or_404(reading.published_for(user), number=number.upper())
    feedback = reading.give_feedback(
        article, helpful=payload.helpful, comment=payload.comment, acting_user=user, channel=API
    )
    return {
        "helpful": feedback.helpful,
        "comment": feedback.comment,
        "helpful_count": article.helpful_count,
        "not_helpful_count": article.not_helpful_count,
    }


@router.get(
    f"{PATH}/attachments",
    response={200: list[AttachmentOut], **READ_ERRORS},
    operation_id="list_article_attachments",
)
@requires(P.READ)
def list_article_attachments(request: HttpRequest, number: str) -> QuerySet[ArticleAttachment]:
    article = _article(caller(request), number)
    return article.attachments.select_related("article", "uploaded_by")


@router.post(
    f"{PATH}/attachments",
    response={201: AttachmentOut, **ERRORS},
    operation_id="add_article_attachment",
    description="Upload a file (multipart field `file`).",
)
@requires(P.WRITE)
def add_article_attachment(
    request: HttpRequest, number: str, file: File[UploadedFile]
) -> Status[ArticleAttachment]:
    user = caller(request)
    article = _article(user, number)
    return Status(
        201, attachments.add_attachment(article, upload=file, acting_user=user, channel=API)
    )


BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}


@router.get(
    f"{PATH}/attachments/{{attachment_id}}",
    response={403: ErrorOut, 404: ErrorOut},
    operation_id="download_article_attachment",
    openapi_extra={"responses": {"200": {"description": "The file", **BINARY}}},
)
@requires(P.READ)
def download_article_attachment(
    request: HttpRequest, number: str, attachment_id: int
) -> FileResponse:
    return attachments.download(caller(request), number, attachment_id)


@router.delete(
    f"{PATH}/attachments/{{attachment_id}}",
    response={204: None, **ERRORS},
    operation_id="remove_article_attachment",
)
@requires(P.WRITE)
def remove_article_attachment(
    request: HttpRequest, number: str, attachment_id: int
) -> Status[None]:
    user = caller(request)
    attachments.remove_attachment(
        attachments.find(user, number, attachment_id), acting_user=user, channel=API
    )
    return Status(204, None)


@router.get(
    "/knowledge/categories",
    response={200: list[CategoryOut], 403: ErrorOut},
    operation_id="list_knowledge_categories",
)
@requires(P.READ)
def list_knowledge_categories(request: HttpRequest) -> QuerySet[KnowledgeCategory]:
    return KnowledgeCategory.objects.filter(is_active=True).select_related("parent")
