from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class CmdbPermission(StrEnum):
    VIEW_CIS = "cmdb.view_cis"
    MANAGE_CIS = "cmdb.manage_cis"


GRANTS: dict[str, set[str]] = {
    **{role: {CmdbPermission.VIEW_CIS} for role in STAFF_ROLES},
    Role.SERVICE_OWNER: {CmdbPermission.VIEW_CIS, CmdbPermission.MANAGE_CIS},
}
