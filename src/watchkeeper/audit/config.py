"""The audit settings (``WATCHKEEPER_AUDIT_*``, read in settings.py), read at call time so that
tests and a reloaded configuration take effect at once."""

from __future__ import annotations

from django.conf import settings


def reassignment_limit() -> int:
    """An incident reassigned more than this many times is a finding."""
    return int(settings.AUDIT_REASSIGNMENT_LIMIT)


def backup_incident_hours() -> int:
    """A failed backup needs an incident on its job (or what it protects) within these hours."""
    return int(settings.AUDIT_BACKUP_INCIDENT_HOURS)


def finding_due_days() -> int:
    """A new finding is due this many days after it was found."""
    return int(settings.AUDIT_FINDING_DUE_DAYS)
