"""Files answering an order form's attachment questions.

``requests.variables`` checks each file with the other answers (type, size); ``store`` writes
it when its requested item is saved, inside the order's transaction, and adds the stored file's
id to the answer; ``discard`` removes what was written when the order fails after all, so no
file outlives an order that was not made. A file is served (``download``) only to those who
may see its request, always as a download that a browser never runs or sniffs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse

from watchkeeper.core.api import MAX_ID
from watchkeeper.core.downloads import file_download
from watchkeeper.incidents.actions.conversation import sha256_of, stored_name
from watchkeeper.requests.choices import VariableKind
from watchkeeper.requests.models import (
    CatalogVariable,
    RequestAttachment,
    RequestedItem,
    ServiceRequest,
)
from watchkeeper.requests.permissions import RequestPermission


def store(
    item: RequestedItem,
    uploads: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    acting_user: Any,
    written: list[RequestAttachment],
) -> dict[str, Any]:
    """``answers`` with each file of ``uploads`` saved for ``item`` and its id in the answer
    (``{"name", "size", "content_type", "attachment"}``). Each file written is appended to
    ``written`` before its row is saved, for ``discard``."""
    stored = dict(answers)
    for name, answer in answers.items():
        upload = uploads.get(name)
        if isinstance(upload, UploadedFile) and isinstance(answer, dict):
            attachment = _saved(item, name, upload, answer, acting_user, written)
            stored[name] = {**answer, "attachment": attachment.pk}
    return stored


def _saved(
    item: RequestedItem,
    variable: str,
    upload: UploadedFile,
    answer: Mapping[str, Any],
    acting_user: Any,
    written: list[RequestAttachment],
) -> RequestAttachment:
    sha256 = sha256_of(upload)
    attachment = RequestAttachment(
        requested_item=item, variable=variable, name=answer["name"],
        content_type=answer["content_type"], size=upload.size or 0,
        sha256=sha256, uploaded_by=acting_user,
    )  # fmt: skip
    prefix = f"{item.request.number}-{item.position}"
    attachment.file.save(stored_name(prefix, sha256, answer["name"]), upload, save=False)
    written.append(attachment)
    attachment.save()
    return attachment


def discard(written: Iterable[RequestAttachment]) -> None:
    """Remove the files of an order that failed (their rows are rolled back with it)."""
    for attachment in written:
        attachment.file.delete(save=False)


def visible_to(user: Any) -> QuerySet[RequestAttachment]:
    """The files ``user`` may download: those of the requests they see (who ordered it, who it
    is for, its approvers, staff), and every one for fulfilers."""
    rows = RequestAttachment.objects.select_related("requested_item__request")
    if user.has_perm(RequestPermission.FULFIL):
        return rows
    return rows.filter(requested_item__request__in=ServiceRequest.objects.restrict(user))


def download(user: Any, number: str, attachment_id: int) -> FileResponse:
    """The file as a download (404 when it is not there for ``user``)."""
    if not 0 < attachment_id <= MAX_ID:
        raise Http404("No such attachment.")
    rows = visible_to(user).filter(requested_item__request__number=number.upper())
    attachment = rows.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return file_download(attachment)


def url_of(number: str, attachment_id: int) -> str:
    return reverse("requests:attachment", args=[number, attachment_id])


@dataclass(frozen=True)
class Answer:
    """One answer as a page shows it: a file answer links to its download."""

    label: str
    value: Any
    url: str = ""


def shown(
    number: str, variables: Iterable[CatalogVariable], answers: Mapping[str, Any]
) -> list[Answer]:
    """``answers`` (of an item of request ``number``, or a task's copy) labelled by their
    questions, a stored file's answer with its link."""
    by_name = {variable.name: variable for variable in variables}
    rows = []
    for name, value in answers.items():
        variable = by_name.get(name)
        label = variable.label if variable is not None else name
        kind = variable.kind if variable is not None else None
        if kind == VariableKind.ATTACHMENT and isinstance(value, dict) and value.get("attachment"):
            rows.append(Answer(label, value, url_of(number, int(value["attachment"]))))
        else:
            rows.append(Answer(label, value))
    return rows
