"""Event sources and their ingestion tokens: a token names one source and can do nothing else
(it is not a user's API token), so a monitoring server's secret cannot read or change tickets."""

from __future__ import annotations

import hmac
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from watchkeeper.accounts.tokens import PREFIX_PATTERN, digest, new_secret
from watchkeeper.core.errors import require_permission
from watchkeeper.events.choices import SourceKind
from watchkeeper.events.models import EventSource
from watchkeeper.events.permissions import EventPermission

SOURCE_FIELDS = (
    "kind", "description", "is_active", "key_template", "incident_severities",
    "resolve_incidents", "default_group",
)  # fmt: skip


def check_source(source: EventSource) -> None:
    """Every rule of a source (``EventSource.clean`` and the fields)."""
    source.full_clean()


def create_source(
    *, name: str, acting_user: Any, kind: str = SourceKind.GENERIC, **fields: Any
) -> tuple[EventSource, str]:
    """A new source and its token (shown once; only its digest is kept)."""
    require_permission(acting_user, EventPermission.CONFIGURE)
    unknown = set(fields) - set(SOURCE_FIELDS)
    if unknown:
        raise ValidationError({name: "Not a source field." for name in sorted(unknown)})
    source = EventSource(name=name, kind=kind, **fields)
    token, source.token_prefix, source.token_digest = new_secret()
    check_source(source)
    with transaction.atomic():
        source.save()
    return source, token


def rotate_token(source: EventSource, *, acting_user: Any) -> str:
    """A new token for ``source``; the old one stops working at once."""
    require_permission(acting_user, EventPermission.CONFIGURE)
    token, source.token_prefix, source.token_digest = new_secret()
    source.save(update_fields=["token_prefix", "token_digest"])
    return token


def source_for_token(token: str) -> EventSource | None:
    """The active source whose token this is, or None."""
    parts = token.split("_")
    if len(parts) < 3 or not PREFIX_PATTERN.fullmatch(parts[1]):
        return None
    wanted = digest(token)
    for source in EventSource.objects.filter(token_prefix=parts[1], is_active=True):
        if hmac.compare_digest(source.token_digest, wanted):
            return source
    return None
