"""Downloading attachments in the web UI (see ``incidents.downloads`` for the rules)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from watchkeeper.incidents.downloads import attachment_response


@login_required
@require_GET
def download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    return attachment_response(request.user, number, pk)
