"""Request permissions: everyone orders from the catalog (what each item's audience allows) for
themself; staff see every request and order for others; the service desk, resolvers and
managers fulfil; service owners keep the catalog."""

from enum import StrEnum

from watchkeeper.accounts.choices import MANAGER_ROLES, STAFF_ROLES, Role


class RequestPermission(StrEnum):
    ORDER = "requests.order"
    ORDER_FOR_OTHERS = "requests.order_for_others"
    VIEW_ALL = "requests.view_all"
    FULFIL = "requests.fulfil"
    MANAGE_CATALOG = "requests.manage_catalog"


P = RequestPermission
STAFF: set[str] = {P.ORDER, P.ORDER_FOR_OTHERS, P.VIEW_ALL}
GRANTS: dict[str, set[str]] = {
    Role.REQUESTER: {P.ORDER},
    **{role: STAFF for role in STAFF_ROLES},
    **{role: STAFF | {P.FULFIL} for role in (*MANAGER_ROLES, Role.AGENT, Role.RESOLVER)},
    Role.SERVICE_OWNER: STAFF | {P.MANAGE_CATALOG},
}
