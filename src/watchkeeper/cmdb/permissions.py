"""CMDB permissions: staff read the map; service and change managers keep it; operations
engineers report backups and record restore tests."""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class CmdbPermission(StrEnum):
    VIEW_CIS = "cmdb.view_cis"
    MANAGE_CIS = "cmdb.manage_cis"
    OPERATE_BACKUPS = "cmdb.operate_backups"


GRANTS: dict[str, set[str]] = {
    **{role: {CmdbPermission.VIEW_CIS} for role in STAFF_ROLES},
    Role.RESOLVER: {CmdbPermission.VIEW_CIS, CmdbPermission.OPERATE_BACKUPS},
    Role.CHANGE_MANAGER: {CmdbPermission.VIEW_CIS, CmdbPermission.MANAGE_CIS},
    Role.SERVICE_OWNER: {
        CmdbPermission.VIEW_CIS,
        CmdbPermission.MANAGE_CIS,
        CmdbPermission.OPERATE_BACKUPS,
    },
}
