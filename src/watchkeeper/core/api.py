"""The REST API at ``/api/v1/``: authentication, error format and conventions every router reuses.

Conventions: lists take ``limit`` and ``offset`` and answer ``{"count": N, "items": [...]}``; filters
are query parameters declared in a ``FilterSchema``; every error answers ``{"detail": "..."}`` naming
the field and the rule; each operation declares the permission it needs with ``@requires``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.security import HttpBearer, SessionAuth

from watchkeeper import __version__
from watchkeeper.accounts.tokens import find_usable
from watchkeeper.core.errors import Conflict

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer wk_…``; a read-scoped token may only read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = find_usable(token)
        if api_token is None:
            raise AuthenticationError(401, "The API token is unknown, revoked or expired.")
        if api_token.scope == "read" and request.method not in SAFE_METHODS:
            raise AuthorizationError(403, "This token has the read scope; writing needs write.")
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class SessionCookieAuth(SessionAuth):
    """The browser's session (with its CSRF token for writes)."""


api = NinjaAPI(
    title="Watchkeeper API",
    version="1",
    description=(
        "IT service management. Authenticate with a session cookie or an API token sent as "
        "`Authorization: Bearer <token>` (create one on your profile page)."
    ),
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionCookieAuth()],
    openapi_extra={"info": {"x-watchkeeper-version": __version__}},
)


def requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the permission an operation needs; answers 403 when the caller lacks it."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.auth.has_perm(permission):  # type: ignore[attr-defined]
                raise PermissionDenied(f"This needs the permission {permission!r}.")
            return view(request, *args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def _describe_schema_error(item: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "payload"))
    return f"{location or 'request'}: {item.get('msg', 'invalid')}"


@api.exception_handler(SchemaError)
def on_schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    messages = [_describe_schema_error(item) for item in exc.errors]
    return error(request, 422, "; ".join(messages), errors=exc.errors)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in fields.items())
        return error(request, 400, detail, errors=fields)
    return error(request, 400, " ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, str(exc) or "You are not allowed to do this.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def on_missing_object(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, "Not found.")


@api.exception_handler(Conflict)
def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return error(request, 409, exc.message, current_version=exc.current_version)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message if exc.message != "Unauthorized" else None
    return error(
        request,
        401,
        detail or "Log in, or send an API token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, str(exc))
