"""Serving an incident's attachment, for the web UI and the API alike.

Only to those who may see the incident, internal files only to staff, and always as a download
(``Content-Disposition: attachment``, sandboxed, never sniffed), so a file cannot run in
Watchkeeper's origin.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404

from watchkeeper.core.api import MAX_ID
from watchkeeper.core.downloads import file_download
from watchkeeper.incidents.models import Attachment, Incident
from watchkeeper.incidents.permissions import IncidentPermission


def attachment_response(user: Any, number: str, attachment_id: int) -> FileResponse:
    if not 0 < attachment_id <= MAX_ID:
        raise Http404("No such attachment.")
    visible = Incident.objects.restrict(user).filter(number=number)
    attachments = Attachment.objects.filter(incident__in=visible, pk=attachment_id)
    if not user.has_perm(IncidentPermission.VIEW_ALL):
        attachments = attachments.filter(internal=False)
    attachment = attachments.first()
    if attachment is None:
        raise Http404("No such attachment.")
    return file_download(attachment)
