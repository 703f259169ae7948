"""Reporting's periodic jobs (registered with ``core.jobs.periodic``)."""

from __future__ import annotations

from watchkeeper.core.jobs import periodic
from watchkeeper.reporting.facts import refresh_facts


@periodic("*/5 * * * *")
def refresh_incident_facts() -> int:
    """Keep the facts warm, so a dashboard's own refresh has little to do."""
    return refresh_facts()


@periodic("50 1 * * *")
def rebuild_incident_facts() -> int:
    """Rebuild every fact and cube: repairs what a bulk write slipped past ``updated_at``."""
    return refresh_facts(full=True)


@periodic("*/15 * * * *")
def send_due_report_schedules() -> int:
    """E-mail the reports whose run has come (``schedule_sending.send_due_reports``)."""
    from watchkeeper.reporting.schedule_sending import send_due_reports

    return send_due_reports()
