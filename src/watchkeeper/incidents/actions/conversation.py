"""Comments (the caller sees them), work notes (staff only) and attachments."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts.system import system_user
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.core.markup import render_markdown
from watchkeeper.incidents import notifications
from watchkeeper.incidents.actions._common import (
    can_work,
    changing,
    is_caller,
    reindex,
    require_participant,
    require_view,
    require_work,
)
from watchkeeper.incidents.choices import ActivityKind, HoldReason, IncidentState
from watchkeeper.incidents.models import Activity, Attachment, Incident
from watchkeeper.sla import service as sla_service
from watchkeeper.sla.service import SLA_FIELDS

MAX_BODY = 20_000
#: File types people attach to incidents; never HTML or scripts, which a browser would run.
ALLOWED_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".zip": "application/zip",
    ".eml": "message/rfc822",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def max_attachment_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_MB", 20)) * 1024 * 1024


def sha256_of(upload: UploadedFile) -> str:
    """The file's SHA-256, read in chunks; the upload is rewound for saving."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def stored_name(prefix: str, sha256: str, name: str) -> str:
    """The name a file is stored under: never the uploader's own (only its suffix)."""
    return f"{prefix}-{sha256[:12]}{PurePath(name).suffix.lower()}"


def checked_upload(upload: UploadedFile) -> tuple[str, str]:
    """The file's safe name and content type, if a file of its type and size may be stored
    (its type by its suffix, from a list: never HTML or scripts)."""
    name = PurePath((upload.name or "file").replace("\\", "/")).name[:255] or "file"
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise ValidationError(
            {"file": f"Files of type {suffix or '(none)'} are not accepted ({allowed})."}
        )
    if upload.size is None or upload.size > max_attachment_bytes():
        raise ValidationError(
            {"file": f"Files may be at most {max_attachment_bytes() // 2**20} MB."}
        )
    if upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    return name, ALLOWED_TYPES[suffix]


def clean_body(body: str | None, field: str = "body") -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError({field: "Write something."})
    if len(text) > MAX_BODY:
        raise ValidationError({field: f"At most {MAX_BODY:,} characters."})
    return text


def write_activity(
    current: Incident, kind: str, text: str, acting_user: Any, channel: str
) -> tuple[Activity, dict[str, tuple[Any, Any]]]:
    """Store the activity on the locked ``current`` and apply what it implies (first response,
    the caller's answer ending "awaiting caller"); the caller of this writes the history."""
    activity = Activity.objects.create(
        incident=current,
        kind=kind,
        author=acting_user,
        body=text,
        body_html=render_markdown(text),
        channel=channel,
    )
    values: dict[str, Any] = {}
    staff_reply = can_work(acting_user) and not is_caller(acting_user, current)
    if kind == ActivityKind.COMMENT and staff_reply and current.first_response_at is None:
        values["first_response_at"] = timezone.now()
    if (
        kind == ActivityKind.COMMENT
        and is_caller(acting_user, current)
        and current.state == IncidentState.ON_HOLD
        and current.hold_reason == HoldReason.AWAITING_CALLER
    ):
        values.update(state=IncidentState.IN_PROGRESS, hold_reason="")
    changes = {name: (getattr(current, name), value) for name, value in values.items()}
    for name, value in values.items():
        setattr(current, name, value)
    if values:
        current.version += 1  # a changed state is a new version: stale edits are refused
        current.save(update_fields=[*values, "version", "updated_at"])
    if kind == ActivityKind.COMMENT:
        reindex(current)
    notifications.activity_added(activity)
    return activity, changes


def _add_activity(
    incident: Incident, kind: str, body: str, acting_user: Any, channel: str
) -> Activity:
    text = clean_body(body)
    with changing(incident, None) as current:
        activity, implied = write_activity(current, kind, text, acting_user, channel)
        changes = {kind: (None, text[:500]), **implied}
        record_change(
            current, action=f"{kind}_added", actor=acting_user, channel=channel, changes=changes
        )
        if SLA_FIELDS.intersection(implied):  # a first response, or the caller's answer
            sla_service.refresh(current)
    return activity


def add_comment(
    incident: Incident, *, body: str, acting_user: Any, channel: str = Channel.WEB
) -> Activity:
    """A comment the caller sees; the caller's answer to "awaiting caller" resumes the work."""
    require_view(acting_user, incident)
    require_participant(acting_user, incident)
    if incident.state in (IncidentState.CLOSED, IncidentState.CANCELED) and not can_work(
        acting_user
    ):
        raise ValidationError({"body": f"{incident.number} is closed; report a new incident."})
    return _add_activity(incident, ActivityKind.COMMENT, body, acting_user, channel)


def add_work_note(
    incident: Incident, *, body: str, acting_user: Any, channel: str = Channel.WEB
) -> Activity:
    """An internal note: never shown, e-mailed or searchable for the caller. Without an
    ``acting_user`` (a job) the note is signed by the system account."""
    require_work(acting_user)
    author = acting_user if acting_user is not None else system_user()
    return _add_activity(incident, ActivityKind.WORK_NOTE, body, author, channel)


def add_attachment(
    incident: Incident,
    *,
    upload: UploadedFile,
    acting_user: Any,
    internal: bool = False,
    channel: str = Channel.WEB,
) -> Attachment:
    """Store a file with the incident; its type must be on the list and its size in the limit."""
    require_view(acting_user, incident)
    require_participant(acting_user, incident)
    if internal and not can_work(acting_user):
        raise PermissionDenied("Only the service desk can add internal attachments.")
    name, content_type = checked_upload(upload)
    sha256 = sha256_of(upload)
    attachment = Attachment(
        incident=incident,
        name=name,
        content_type=content_type,
        size=upload.size or 0,
        sha256=sha256,
        internal=internal,
        uploaded_by=acting_user,
    )
    attachment.file.save(stored_name(incident.number, sha256, name), upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            changes = {
                "attachment": (None, {"name": name, "size": upload.size, "internal": internal})
            }
            record_change(
                incident,
                action="attachment_added",
                actor=acting_user,
                channel=channel,
                changes=changes,
            )
    except BaseException:
        attachment.file.delete(save=False)  # nothing half-written: no file without its row
        raise
    return attachment
