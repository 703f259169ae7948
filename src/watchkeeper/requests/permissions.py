"""Request permissions: everyone orders from the catalog (what each item's audience allows);
service owners keep the catalog."""

from enum import StrEnum

from watchkeeper.accounts.choices import Role


class RequestPermission(StrEnum):
    ORDER = "requests.order"
    MANAGE_CATALOG = "requests.manage_catalog"


GRANTS: dict[str, set[str]] = {
    **{role: {RequestPermission.ORDER} for role in Role},
    Role.SERVICE_OWNER: {RequestPermission.ORDER, RequestPermission.MANAGE_CATALOG},
}
