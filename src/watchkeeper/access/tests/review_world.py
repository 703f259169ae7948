"""The people, systems and grants the access review tests share (``world(make_user)``).

Olga owns the ERP's roles and reports to Mona; Alex is the access manager; Ada an auditor; Rita
and Sam hold ERP roles; Olga holds one of her own roles; Rita also holds a CRM role (Carl's),
and once held an ERP role that was revoked (not reviewed again)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from watchkeeper.access import reviews
from watchkeeper.access.actions import grant, revoke
from watchkeeper.access.models import AccessReview, AccessRole
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci


def world(make_user: Callable[..., Any]) -> dict[str, Any]:
    mona = make_user("mona", first_name="Mona")
    people = {
        "mona": mona,
        "olga": make_user("olga", first_name="Olga", manager=mona),
        "carl": make_user("carl"),
        "alex": make_user("alex", Role.ACCESS_MANAGER),
        "ada": make_user("ada", Role.AUDITOR),
        "rita": make_user("rita"),
        "sam": make_user("sam"),
    }
    erp = create_ci(name="ERP", ci_class="application", acting_user=None)
    crm = create_ci(name="CRM", ci_class="application", acting_user=None)
    clerk = AccessRole.objects.create(system=erp, name="AP clerk", owner=people["olga"])
    payer = AccessRole.objects.create(system=erp, name="Payment approver", owner=people["olga"])
    sales = AccessRole.objects.create(system=crm, name="Sales", owner=people["carl"])
    grants = {
        "rita_clerk": grant(clerk, people["rita"], acting_user=None, reason="REQ0001001"),
        "sam_payer": grant(payer, people["sam"], acting_user=None, reason="REQ0001002"),
        "olga_clerk": grant(clerk, people["olga"], acting_user=None, reason="REQ0001003"),
        "rita_sales": grant(sales, people["rita"], acting_user=None, reason="REQ0001004"),
    }
    ended = grant(payer, people["rita"], acting_user=None, reason="REQ0001005")
    revoke(ended, acting_user=None, reason="Moved on")
    return {**people, "erp": erp, "crm": crm, "clerk": clerk, "payer": payer,
            "sales": sales, "ended": ended, **grants}  # fmt: skip


def erp_campaign(w: dict[str, Any], days: int = 14) -> AccessReview:
    """A campaign over the ERP, started by Alex, due in ``days``."""
    due = timezone.localdate() + dt.timedelta(days=days)
    return reviews.start("ERP Q3", [w["erp"]], due, w["alex"])


def item_of(review: AccessReview, grant_: Any) -> Any:
    return review.items.select_related("entitlement", "reviewer").get(entitlement=grant_)
