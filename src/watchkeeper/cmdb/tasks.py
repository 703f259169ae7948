"""CMDB jobs: the backup sweep and the daily restore-test check. Periodic ones are declared here."""

from __future__ import annotations

from django.utils import timezone

from watchkeeper.cmdb import backups
from watchkeeper.core.jobs import periodic


@periodic("*/5 * * * *")
def sweep_missed_backups() -> int:
    """Every 5 minutes: a "missed" run (and an incident) for each job whose result is overdue.
    Idempotent: a slot already recorded is skipped, so overlapping sweeps are harmless."""
    return len(backups.sweep_missed_backups(timezone.now()))


@periodic("13 6 * * *")
def check_restore_tests() -> int:
    """Daily at 06:13 UTC: tell the support groups of items whose restore test became overdue
    (once per overdue period; a missed day is caught up the next day)."""
    return backups.notify_overdue_restore_tests(timezone.now())
