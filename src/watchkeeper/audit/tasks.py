"""Audit jobs: every check runs daily at 05:30 UTC (``runner.run_all``), after the night's
backups and SLA sweeps, before people start their day."""

from __future__ import annotations

from watchkeeper.core.jobs import job, periodic

SCHEDULE = "30 5 * * *"


@periodic(SCHEDULE)
def run_audit_checks() -> int:
    """Run the whole library; returns the number of new findings."""
    from watchkeeper.audit.runner import run_all

    return sum(run.opened for run in run_all())


@job
def run_audit_checks_for(user_id: int, channel: str) -> int:
    """ "Run every check now" from a page: in the background, as that person (the history
    check alone may take minutes on a large history)."""
    from watchkeeper.accounts.models import User
    from watchkeeper.audit.runner import run_all

    user = User.objects.filter(pk=user_id).first()
    return sum(run.opened for run in run_all(started_by=user, channel=channel))
