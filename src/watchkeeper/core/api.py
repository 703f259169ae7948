"""The REST API at ``/api/v1/``: authentication, error format and conventions every router reuses.

Conventions: lists take ``limit`` and ``offset`` and answer ``{"count": N, "items": [...]}``
(``Pagination``); request bodies are ``ApiSchema`` classes and filters ``ApiFilterSchema`` ones
(query parameters); every error answers ``{"detail": "..."}`` naming the field and the rule, never
a 500 for bad input; each operation declares the permission it needs with ``@requires``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.validators import validate_email
from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, FilterSchema, NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.pagination import LimitOffsetPagination
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from watchkeeper import __version__
from watchkeeper.accounts.models import User
from watchkeeper.accounts.tokens import find_usable
from watchkeeper.core.errors import Conflict

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: The largest id or offset a request may name: any larger overflows the database's integers.
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
logger = logging.getLogger(__name__)


def refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot store NUL characters and SQLite would keep them silently: refuse them."""
    texts = value if isinstance(value, list | tuple | set) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise PydanticCustomError("nul_character", "Text must not contain NUL (0x00) characters")
    return value


class ApiSchema(Schema):
    """Base of every request body: no text field may hold a NUL character."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class ApiFilterSchema(FilterSchema):
    """Base of every list's query filters: no text may hold a NUL character."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


def _email_or_blank(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise PydanticCustomError(
                "email", "Enter a valid e-mail address, or an empty string for none"
            ) from None
    return value


#: An e-mail address checked by the same rule as the forms, or "" for none.
EmailOrBlank = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(_email_or_blank),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` answered as ``{"count": N, "items": [...]}``, with a bounded offset."""

    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


#: Lists count their rows up to this many: an exact ``COUNT(*)`` over a million rows costs more
#: than the page it comes with, and nobody pages through more by hand. Text searches count to
#: ``SEARCH_COUNT_LIMIT`` (each match costs an index probe), as search engines say "1,000+".
COUNT_LIMIT = 10_000
SEARCH_COUNT_LIMIT = 1_000


def capped_count(queryset: QuerySet[Any], limit: int | None = None) -> tuple[int, bool]:
    """The rows of ``queryset`` counted up to ``limit`` (``COUNT_LIMIT``), and whether there are
    more."""
    limit = COUNT_LIMIT if limit is None else limit
    counted = queryset.order_by().values("pk")[: limit + 1].count()
    return min(counted, limit), counted > limit


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


def caller(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by the token or the session)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the permission an operation needs; answers 403 when the caller lacks it."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not caller(request).has_perm(permission):
                raise PermissionDenied(f"This needs the permission '{permission}'.")
            return view(request, *args, **kwargs)

        # Ninja reads the parameters' types from the signature and resolves string annotations
        # (``from __future__ import annotations``) in the wrapper's module; give it the view's
        # own signature, resolved where the view was written.
        guarded.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def _describe_schema_error(item: dict[str, Any]) -> str:
    """``field: rule`` for one error; a body's location is (body, parameter name, field…)."""
    location = [str(part) for part in item.get("loc", ())]
    if location[:1] == ["body"]:
        location = location[2:] or ["body"]
    return f"{'.'.join(location) or 'request'}: {item.get('msg', 'invalid')}"


@api.exception_handler(SchemaError)
def on_schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    messages = [_describe_schema_error(item) for item in exc.errors]
    return error(request, 422, "; ".join(messages), errors=exc.errors)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        detail = "; ".join(
            " ".join(msgs) if field == NON_FIELD_ERRORS else f"{field}: {' '.join(msgs)}"
            for field, msgs in fields.items()
        )
        return error(request, 400, detail, errors=fields)
    return error(request, 400, " ".join(exc.messages))


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the database cannot store (out of range, NUL characters): the caller's mistake.

    The schemas refuse such values first, naming the field; this is the safety net."""
    logger.warning(
        "API request %s %s refused by the database: %s", request.method, request.path, exc
    )
    return error(request, 400, "A value in the request cannot be stored (too large or invalid).")


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
