"""Files with an article (screenshots, a form to fill in): added and removed by writers, read by
whoever may open the article, served always as a download a browser never runs or sniffs.

The accepted types and the size limit (``WATCHKEEPER_ATTACHMENT_MAX_MB``) are the incidents'."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404

from watchkeeper.core.api import MAX_ID
from watchkeeper.core.choices import Channel
from watchkeeper.core.downloads import file_download
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.incidents.actions.conversation import checked_upload, sha256_of, stored_name
from watchkeeper.knowledge.models import Article, ArticleAttachment
from watchkeeper.knowledge.permissions import KnowledgePermission as P
from watchkeeper.knowledge.reading import restrict


def add_attachment(
    article: Article, *, upload: UploadedFile, acting_user: Any, channel: str = Channel.WEB
) -> ArticleAttachment:
    """Store ``upload`` with the article; its history says who added which file."""
    require_permission(acting_user, P.WRITE)
    name, content_type = checked_upload(upload)
    sha256 = sha256_of(upload)
    attachment = ArticleAttachment(
        article=article,
        name=name,
        content_type=content_type,
        size=upload.size or 0,
        sha256=sha256,
        uploaded_by=acting_user,
    )
    attachment.file.save(stored_name(article.number, sha256, name), upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            changes = {"attachment": (None, {"name": name, "size": upload.size})}
            record_change(
                article,
                action="attachment_added",
                actor=acting_user,
                channel=channel,
                changes=changes,
            )
    except BaseException:
        attachment.file.delete(save=False)  # no file without its row
        raise
    return attachment


def remove_attachment(
    attachment: ArticleAttachment, *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    require_permission(acting_user, P.WRITE)
    article = attachment.article
    with transaction.atomic():
        changes = {"attachment": ({"name": attachment.name, "size": attachment.size}, None)}
        record_change(
            article,
            action="attachment_removed",
            actor=acting_user,
            channel=channel,
            changes=changes,
        )
        attachment.delete()
        transaction.on_commit(lambda: attachment.file.delete(save=False))


def find(user: Any, number: str, attachment_id: int) -> ArticleAttachment:
    """The attachment of an article ``user`` may open (404 otherwise)."""
    if not 0 < attachment_id <= MAX_ID:
        raise Http404("No such attachment.")
    visible = restrict(user).filter(number=number.upper())
    found = ArticleAttachment.objects.filter(article__in=visible, pk=attachment_id).first()
    if found is None:
        raise Http404("No such attachment.")
    return found


def download(user: Any, number: str, attachment_id: int) -> FileResponse:
    return file_download(find(user, number, attachment_id))
