"""Ingestion authentication: ``Authorization: Bearer <source token>``. Only event endpoints take
source tokens, and they take nothing else."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from watchkeeper.events.models import EventSource
from watchkeeper.events.sources import source_for_token


class SourceTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        source = source_for_token(token)
        if source is None:
            raise AuthenticationError(401, "The event source token is unknown or inactive.")
        request.event_source = source  # type: ignore[attr-defined]
        return source


def source_of(request: HttpRequest) -> EventSource:
    source: EventSource = request.event_source  # type: ignore[attr-defined]
    return source
