"""Access jobs: grants whose end date passed are ended every hour (``actions.expire_due``)."""

from __future__ import annotations

from watchkeeper.access.actions import expire_due
from watchkeeper.core.jobs import periodic


@periodic("7 * * * *")
def expire_entitlements() -> int:
    return expire_due()
