"""Incident jobs. Periodic ones are declared here and nowhere else."""

from __future__ import annotations

from watchkeeper.core.jobs import periodic
from watchkeeper.incidents.actions import close_resolved_incidents


@periodic("7 * * * *")
def close_resolved() -> int:
    """Hourly: close incidents resolved longer ago than WATCHKEEPER_INCIDENT_AUTO_CLOSE_DAYS."""
    return close_resolved_incidents()
