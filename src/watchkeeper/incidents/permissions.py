"""Incident permissions and the roles that hold them.

What a caller may do on their own incidents (comment, attach, confirm or reject a resolution,
cancel) follows from being the caller, and is checked in the actions.
"""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class IncidentPermission(StrEnum):
    REPORT = "incidents.report"
    VIEW_ALL = "incidents.view_all"
    WORK = "incidents.work"
    OVERRIDE_PRIORITY = "incidents.override_priority"
    DECLARE_MAJOR = "incidents.declare_major"
    CONFIGURE = "incidents.configure"
    IMPORT = "incidents.import"


WORKERS = {
    Role.AGENT,
    Role.RESOLVER,
    Role.INCIDENT_MANAGER,
    Role.PROBLEM_MANAGER,
    Role.CHANGE_MANAGER,
    Role.ACCESS_MANAGER,
}

GRANTS: dict[str, set[str]] = {
    Role.REQUESTER: {IncidentPermission.REPORT},
    **{
        role: {IncidentPermission.REPORT, IncidentPermission.VIEW_ALL}
        for role in STAFF_ROLES - WORKERS
    },
    **{
        role: {IncidentPermission.REPORT, IncidentPermission.VIEW_ALL, IncidentPermission.WORK}
        for role in WORKERS
    },
}
GRANTS[Role.INCIDENT_MANAGER] |= {
    IncidentPermission.OVERRIDE_PRIORITY,
    IncidentPermission.DECLARE_MAJOR,
}
