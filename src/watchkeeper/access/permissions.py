"""Access permissions: access managers keep the roles and the register; auditors, service
owners and the service desk read it; every role owner works the grants of their own roles (in
``access.actions``), and everyone sees what they hold."""

from enum import StrEnum

from watchkeeper.accounts.choices import Role


class AccessPermission(StrEnum):
    VIEW_REGISTER = "access.view_register"
    MANAGE = "access.manage"


GRANTS: dict[str, set[str]] = {
    Role.AGENT: {AccessPermission.VIEW_REGISTER},
    Role.AUDITOR: {AccessPermission.VIEW_REGISTER},
    Role.SERVICE_OWNER: {AccessPermission.VIEW_REGISTER},
    Role.ACCESS_MANAGER: {AccessPermission.VIEW_REGISTER, AccessPermission.MANAGE},
}
