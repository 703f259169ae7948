"""Errors that actions raise; the API and the UI turn each into a clear 4xx message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = [
    "Conflict",
    "PermissionDenied",
    "ValidationError",
    "message_of",
    "require_permission",
    "status_of",
]


class Conflict(Exception):
    """The record changed since the caller read it (optimistic concurrency); HTTP 409."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current_version = current_version


def require_permission(user: Any, permission: str) -> None:
    """Raise PermissionDenied unless ``user`` holds ``permission``; ``None`` is the system."""
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(f"You do not have the permission '{permission}'.")


def message_of(error: Exception) -> str:
    """What a page shows for an action's refusal."""
    if isinstance(error, Conflict):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do this."


def status_of(error: Exception) -> int:
    """The HTTP status of an action's refusal: 409 conflict, 403 permission, else 400."""
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, PermissionDenied):
        return 403
    return 400
