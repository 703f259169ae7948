"""Event permissions: staff watch the console; resolvers and managers work alerts;
administrators and service owners configure sources."""

from enum import StrEnum

from watchkeeper.accounts.choices import MANAGER_ROLES, STAFF_ROLES, Role


class EventPermission(StrEnum):
    VIEW = "events.view"
    WORK = "events.work"
    CONFIGURE = "events.configure"


GRANTS: dict[str, set[str]] = {
    **{role: {EventPermission.VIEW} for role in STAFF_ROLES},
    **{role: {EventPermission.VIEW, EventPermission.WORK} for role in MANAGER_ROLES},
    Role.AGENT: {EventPermission.VIEW, EventPermission.WORK},
    Role.RESOLVER: {EventPermission.VIEW, EventPermission.WORK},
    Role.SERVICE_OWNER: {EventPermission.VIEW, EventPermission.CONFIGURE},
}
