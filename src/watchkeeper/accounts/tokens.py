"""API tokens: ``wk_<prefix>_<secret>``. The prefix finds the row; only a digest is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.utils import timezone

from watchkeeper.accounts.models import ApiToken

PREFIX_PATTERN = re.compile(r"[0-9a-f]{12}")
TOKEN_START = "wk_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> tuple[str, str, str]:
    """A fresh token as (token, prefix, digest); the token is shown once and never stored."""
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_usable(token: str) -> ApiToken | None:
    """The active token matching ``token``, or None (unknown, revoked, expired, inactive user)."""
    parts = token.split("_")
    if len(parts) < 3 or not token.startswith(TOKEN_START):
        return None
    prefix = parts[1]
    if not PREFIX_PATTERN.fullmatch(prefix):
        return None
    candidate = (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(prefix=prefix, user__is_active=True)
        .first()
    )
    if candidate is None or not hmac.compare_digest(candidate.digest, digest(token)):
        return None
    now = timezone.now()
    if candidate.last_used_at is None or (now - candidate.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=candidate.pk).update(last_used_at=now)
    return candidate
