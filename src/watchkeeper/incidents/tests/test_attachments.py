"""Attachments: allowed types, size limits, storage under MEDIA_ROOT, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from watchkeeper.core.history import history_of
from watchkeeper.incidents import actions
from watchkeeper.incidents.actions import conversation
from watchkeeper.incidents.models import Attachment


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "files"
    return Path(settings.MEDIA_ROOT)


def upload(name: str = "error.png", content: bytes = b"\x89PNG fake image") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_the_caller_attaches_a_file_stored_under_media_root(make_incident, requester, media_root):
    # given the caller's incident
    incident = make_incident(caller=requester)

    # when they attach a screenshot
    attachment = actions.add_attachment(incident, upload=upload(), acting_user=requester)

    # then it is stored under MEDIA_ROOT with its type, size and checksum, and recorded
    path = Path(attachment.file.path)
    assert path.is_relative_to(media_root)
    assert path.read_bytes() == b"\x89PNG fake image"
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "error.png",
        "image/png",
        15,
    )
    assert len(attachment.sha256) == 64
    assert history_of(incident).last().action == "attachment_added"


@pytest.mark.parametrize("name", ["page.html", "run.exe", "script.js", "noextension", "x.svg"])
def test_a_type_not_on_the_list_is_refused(make_incident, requester, media_root, name):
    incident = make_incident(caller=requester)
    with pytest.raises(ValidationError, match="not accepted"):
        actions.add_attachment(incident, upload=upload(name), acting_user=requester)
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_over_the_limit_is_refused(make_incident, requester, settings, media_root):
    # given a limit of 1 MB
    settings.ATTACHMENT_MAX_MB = 1
    incident = make_incident(caller=requester)

    # when a file just over it is attached, and one just at it
    with pytest.raises(ValidationError, match="at most 1 MB"):
        actions.add_attachment(
            incident, upload=upload("big.txt", b"x" * (2**20 + 1)), acting_user=requester
        )
    actions.add_attachment(incident, upload=upload("ok.txt", b"x" * 2**20), acting_user=requester)

    # then only the one within the limit is kept
    assert list(Attachment.objects.values_list("name", flat=True)) == ["ok.txt"]
    assert len(stored_files(media_root)) == 1


def test_an_empty_file_is_refused(make_incident, requester, media_root):
    incident = make_incident(caller=requester)
    with pytest.raises(ValidationError, match="empty"):
        actions.add_attachment(incident, upload=upload("empty.txt", b""), acting_user=requester)
    assert stored_files(media_root) == []


def test_the_file_is_removed_when_the_database_write_fails(
    make_incident, requester, media_root, monkeypatch
):
    # given a history that fails to be written
    incident = make_incident(caller=requester)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(conversation, "record_change", broken)

    # when a file is attached
    with pytest.raises(RuntimeError):
        actions.add_attachment(incident, upload=upload(), acting_user=requester)

    # then neither the row nor the file is left behind
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_only_staff_add_internal_attachments(make_incident, requester, agent):
    incident = make_incident(caller=requester)

    with pytest.raises(PermissionDenied):
        actions.add_attachment(incident, upload=upload(), acting_user=requester, internal=True)
    note = actions.add_attachment(incident, upload=upload(), acting_user=agent, internal=True)

    assert note.internal is True
    assert list(Attachment.objects.all()) == [note]


def test_a_requester_cannot_attach_to_anothers_incident(make_incident, requester, make_user):
    incident = make_incident(caller=make_user())
    with pytest.raises(PermissionDenied):
        actions.add_attachment(incident, upload=upload(), acting_user=requester)
    assert not Attachment.objects.exists()
