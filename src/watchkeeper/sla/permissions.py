"""SLA permissions: staff see the clocks; administrators and service owners define them."""

from enum import StrEnum

from watchkeeper.accounts.choices import STAFF_ROLES, Role


class SlaPermission(StrEnum):
    VIEW = "sla.view"
    CONFIGURE = "sla.configure"


GRANTS: dict[str, set[str]] = {
    **{role: {SlaPermission.VIEW} for role in STAFF_ROLES},
    Role.SERVICE_OWNER: {SlaPermission.VIEW, SlaPermission.CONFIGURE},
}
