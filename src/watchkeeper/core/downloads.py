"""Serving a stored file (an incident's attachment, a file sent with an order) to someone the
caller has already found may see it: always as a download (``Content-Disposition:
attachment``), sandboxed and never sniffed, so a file cannot run in Watchkeeper's origin."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404


def file_download(stored: Any) -> FileResponse:
    """``stored`` has ``file``, ``name`` and ``content_type``; 404 when the file is gone."""
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from the data directory.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=stored.name, content_type=stored.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
