"""Reporting permissions: every member of staff sees dashboards and KPIs (an agent's home shows
the agent's own figures); service owners, process managers and administrators also build reports
and schedule them by e-mail; auditors read everything, reports included, and change nothing."""

from enum import StrEnum

from watchkeeper.accounts.choices import MANAGER_ROLES, STAFF_ROLES, Role


class ReportingPermission(StrEnum):
    VIEW = "reporting.view"
    SCHEDULE = "reporting.schedule"


P = ReportingPermission
GRANTS: dict[str, set[str]] = {
    **{role: {P.VIEW} for role in STAFF_ROLES},
    **{role: {P.VIEW, P.SCHEDULE} for role in MANAGER_ROLES | {Role.SERVICE_OWNER}},
}
