"""Access requests through the catalog: the role's owner approves, the provisioning task is
done, and the grant is in the register until the date asked for; then it expires."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from watchkeeper.access.actions import expire_due, grant
from watchkeeper.access.models import AccessRole, Entitlement
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of
from watchkeeper.requests import actions
from watchkeeper.requests.models import ApprovalStep, FulfilmentStep, FulfilmentTask

UNTIL = {"name": "until", "label": "Until", "kind": "date", "required": True}


def test_temporary_access_is_approved_by_the_owner_granted_and_expires(make_item, make_user):
    # given an ERP role owned by Olga, requested through a catalog item with a provisioning task
    olga, rita = make_user("olga"), make_user("rita")
    erp = create_ci(name="ERP", ci_class="application", acting_user=None)
    item = make_item("ERP: AP clerk", UNTIL, category="Access")
    role = AccessRole.objects.create(
        system=erp, name="AP clerk", owner=olga, max_days=90, catalog_item=item
    )
    ApprovalStep.objects.create(item=item, level=1, approver_kind="owner")
    FulfilmentStep.objects.create(item=item, stage=1, title="Create the ERP account")
    last_day = timezone.localdate() + dt.timedelta(days=10)
    # when Rita asks for it until a date, Olga approves and the task is done
    request = actions.order(
        acting_user=rita, lines=[actions.Line(item, {"until": last_day.isoformat()})]
    )
    [approval] = request.items.get().approvals.all()
    assert approval.approver == olga
    actions.decide_approval(approval, acting_user=olga, approve=True)
    task = FulfilmentTask.objects.get()
    actions.complete_task(task, acting_user=make_user("sam", "resolver"), notes="Account made")
    # then the grant is in the register, for Rita, until that day, citing the request
    entitlement = Entitlement.objects.get()
    assert (entitlement.role, entitlement.holder, entitlement.expires_on) == (role, rita, last_day)
    assert entitlement.reason == request.number and entitlement.requested_item is not None
    request.refresh_from_db()
    assert request.state == "closed_complete"
    noted = history_of(request).last().changes["items.1.delivered"]["new"]
    assert noted == f"{entitlement.number} written to the access register"
    # and the day after its last day, it expires
    assert expire_due(last_day + dt.timedelta(days=1)) == 1
    assert Entitlement.objects.get().state == "expired"


def test_a_grant_the_register_refuses_is_noted_and_the_delivery_stands(make_item, make_user):
    olga, rita = make_user("olga"), make_user("rita")
    erp = create_ci(name="ERP", ci_class="application", acting_user=None)
    item = make_item("ERP: admin", UNTIL)
    role = AccessRole.objects.create(system=erp, name="Admin", owner=olga, catalog_item=item)
    grant(role, rita, acting_user=olga, reason="Already, by hand")
    request = actions.order(acting_user=rita, lines=[actions.Line(item, {"until": "2099-01-01"})])
    actions.complete_item(request, 1, acting_user=make_user("sam", "resolver"))
    request.refresh_from_db()
    assert request.state == "closed_complete"
    noted = history_of(request).last().changes["items.1.delivered"]["new"]
    assert noted.startswith("Not written to the access register") and "already holds" in noted
    assert Entitlement.objects.count() == 1
