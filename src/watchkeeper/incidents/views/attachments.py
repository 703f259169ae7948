"""Downloading attachments: only for those who may see the incident; internal files for staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from watchkeeper.incidents.models import Attachment, Incident
from watchkeeper.incidents.permissions import IncidentPermission


@login_required
@require_GET
def download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """Always as a download (``Content-Disposition: attachment``), never shown inline, so a
    file cannot run in Watchkeeper's origin."""
    visible = Incident.objects.restrict(request.user).filter(number=number)
    attachments = Attachment.objects.filter(incident__in=visible, pk=pk)
    if not request.user.has_perm(IncidentPermission.VIEW_ALL):
        attachments = attachments.filter(internal=False)
    attachment = attachments.first()
    if attachment is None:
        raise Http404("No such attachment.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from the data directory.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
