"""Permissions of the accounts app, and the grants of the core permissions to roles."""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role
from watchkeeper.core.permissions import CorePermission


class AccountsPermission(StrEnum):
    VIEW_DIRECTORY = "accounts.view_directory"
    MANAGE_USERS = "accounts.manage_users"
    MANAGE_GROUPS = "accounts.manage_groups"


GRANTS: dict[str, set[str]] = {
    **{
        role: {AccountsPermission.VIEW_DIRECTORY, CorePermission.USE_WORKSPACE}
        for role in STAFF_ROLES
    },
    Role.AUDITOR: {
        AccountsPermission.VIEW_DIRECTORY,
        CorePermission.USE_WORKSPACE,
        CorePermission.VIEW_HISTORY,
        CorePermission.VERIFY_AUDIT_TRAIL,
    },
}
