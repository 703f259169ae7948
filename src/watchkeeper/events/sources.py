"""Event sources and their ingestion tokens: a token names one source and can do nothing else
(it is not a user's API token), so a monitoring server's secret cannot read or change tickets."""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from watchkeeper.accounts.tokens import PREFIX_PATTERN, digest, new_secret
from watchkeeper.core.errors import require_permission
from watchkeeper.events.choices import SourceKind
from watchkeeper.events.models import EventSource
from watchkeeper.events.permissions import EventPermission

#: How long a process trusts what it found for a token (see ``source_for_token``).
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 1000
_known: dict[str, tuple[float, EventSource | None]] = {}

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
    """The active source whose token this is, or None. A process remembers a token's source for
    ``TOKEN_CACHE_SECONDS`` (ingestion asks on every request; a monitoring tool sends thousands
    a second in a storm): a deactivated source or a rotated token is refused by every process
    within that time, and at once by the process that changed it."""
    parts = token.split("_")
    if len(parts) < 3 or not PREFIX_PATTERN.fullmatch(parts[1]):
        return None
    wanted, now = digest(token), time.monotonic()
    cached = _known.get(wanted)
    if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
        return cached[1]
    found = None
    for source in EventSource.objects.filter(token_prefix=parts[1], is_active=True):
        if hmac.compare_digest(source.token_digest, wanted):
            found = source
    if len(_known) >= TOKEN_CACHE_SIZE:
        _known.clear()
    _known[wanted] = (now, found)
    return found


def forget_tokens(**_kwargs: Any) -> None:
    """Forget the remembered tokens (a source was saved or deleted in this process)."""
    _known.clear()


post_save.connect(forget_tokens, sender=EventSource, dispatch_uid="events-forget-tokens")
post_delete.connect(forget_tokens, sender=EventSource, dispatch_uid="events-forget-tokens-del")
