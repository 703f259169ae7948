"""Files with an article: writers add and remove them, readers of the article download them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.knowledge import attachments
from watchkeeper.knowledge.choices import Audience
from watchkeeper.knowledge.models import Article, ArticleAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "files"
    return Path(settings.MEDIA_ROOT)


def upload(name: str = "steps.pdf", content: bytes = b"%PDF-1.4 fake") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_writer_adds_a_file_that_readers_download(
    make_article: Callable[..., Article], writer: User, requester: User
) -> None:
    # given
    article = make_article()
    # when
    stored = attachments.add_attachment(article, upload=upload(), acting_user=writer)
    # then
    response = attachments.download(requester, article.number, stored.pk)
    assert b"".join(response.streaming_content) == b"%PDF-1.4 fake"  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert history_of(article).last().action == "attachment_added"


def test_files_of_hidden_articles_are_not_found(
    make_article: Callable[..., Article], writer: User, requester: User
) -> None:
    article = make_article(audience=Audience.AGENTS)
    stored = attachments.add_attachment(article, upload=upload(), acting_user=writer)
    with pytest.raises(Http404):
        attachments.download(requester, article.number, stored.pk)
    attachments.download(writer, article.number, stored.pk)


def test_type_size_and_permission_are_checked(
    make_article: Callable[..., Article],
    writer: User,
    requester: User,
    settings: LazySettings,
    media: Path,
) -> None:
    article = make_article()
    with pytest.raises(ValidationError, match="not accepted"):
        attachments.add_attachment(article, upload=upload("x.html", b"<p>"), acting_user=writer)
    settings.ATTACHMENT_MAX_MB = 1
    with pytest.raises(ValidationError, match="at most 1 MB"):
        attachments.add_attachment(
            article, upload=upload(content=b"x" * (2**20 + 1)), acting_user=writer
        )
    with pytest.raises(PermissionDenied):
        attachments.add_attachment(article, upload=upload(), acting_user=requester)
    assert not ArticleAttachment.objects.exists()
    assert not any(media.rglob("*.*"))


def test_removing_a_file(
    make_article: Callable[..., Article],
    writer: User,
    media: Path,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    article = make_article()
    stored = attachments.add_attachment(article, upload=upload(), acting_user=writer)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        attachments.remove_attachment(stored, acting_user=writer)
    assert not ArticleAttachment.objects.exists()
    assert not any(media.rglob("*.pdf"))
    assert history_of(article).last().action == "attachment_removed"
