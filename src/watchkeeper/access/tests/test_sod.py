"""Separation of duties: a grant or an access request that would put two conflicting roles in
one person's hands is refused, naming the rule; once one is revoked, the other may be granted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from watchkeeper.access.actions import grant, revoke
from watchkeeper.access.models import AccessRole, SodRule
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.requests import actions
from watchkeeper.requests.models import ServiceRequest


@pytest.fixture
def erp(make_user, make_item):
    olga = make_user("olga")
    system = create_ci(name="ERP", ci_class="application", acting_user=None)
    suppliers = AccessRole.objects.create(
        system=system, name="Supplier master data", owner=olga,
        catalog_item=make_item("ERP: supplier master data"),
    )  # fmt: skip
    payments = AccessRole.objects.create(
        system=system, name="Payment approval", owner=olga,
        catalog_item=make_item("ERP: payment approval"),
    )  # fmt: skip
    SodRule.objects.create(
        first=suppliers, second=payments, description="Who creates suppliers does not pay them"
    )
    return {"owner": olga, "suppliers": suppliers, "payments": payments}


def test_a_conflicting_grant_is_refused_either_way_round(erp, make_user):
    rita = make_user("rita")
    held = grant(erp["payments"], rita, acting_user=erp["owner"], reason="REQ0001001")
    with pytest.raises(ValidationError) as refused:
        grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0001002")
    assert "Separation of duties: rita holds ERP: Payment approval" in str(refused.value)
    revoke(held, acting_user=erp["owner"], reason="Moved to purchasing")
    assert grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0001003")


def test_an_access_request_that_breaks_a_rule_is_refused_at_order(erp, make_user):
    rita = make_user("rita")
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0001001")
    item = erp["payments"].catalog_item
    with pytest.raises(ValidationError) as refused:
        actions.order(acting_user=rita, lines=[actions.Line(item, {})])
    assert (
        "Who creates suppliers does not pay them" in refused.value.message_dict["items.1.item"][0]
    )
    assert not ServiceRequest.objects.exists()
    # someone else may order it
    assert actions.order(acting_user=make_user("sue"), lines=[actions.Line(item, {})])


def test_readers_see_the_rules(erp, make_user):
    auditor = Client()
    auditor.force_login(make_user("aude", Role.AUDITOR))
    rules = auditor.get("/api/v1/access/sod-rules").json()
    assert [(r["first"], r["second"]) for r in rules] == [(erp["suppliers"].pk, erp["payments"].pk)]
    stranger = Client()
    stranger.force_login(make_user("sue"))
    assert stranger.get("/api/v1/access/sod-rules").status_code == 403
