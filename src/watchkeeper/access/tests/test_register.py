"""The entitlement register: owners and access managers grant and revoke, time-limited grants
expire, a leaver loses everything, each reader sees their part, and every change is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from watchkeeper.access.actions import expire_due
from watchkeeper.access.models import AccessRole, Entitlement
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests.tests.helpers import client_for, post


@pytest.fixture
def erp(make_user):
    olga = make_user("olga")  # owns the ERP's roles, holds no staff role
    system = create_ci(name="ERP", ci_class="application", acting_user=None)
    clerk = AccessRole.objects.create(system=system, name="AP clerk", owner=olga)
    admin_role = AccessRole.objects.create(system=system, name="Admin", owner=olga, max_days=30)
    return {"owner": olga, "clerk": clerk, "admin": admin_role, "system": system}


def test_the_owner_grants_a_role_and_it_is_in_the_register(erp, make_user):
    rita = make_user("rita")
    made = post(erp["owner"], "/api/v1/access/entitlements",
                {"role": erp["clerk"].pk, "holder": "rita", "reason": "REQ0001001"})  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["number"].startswith("ENT") and body["state"] == "active"
    assert (body["system"], body["role"], body["holder"], body["granted_by"]) == (
        "ERP", "AP clerk", "rita", "olga",
    )  # fmt: skip
    twice = post(erp["owner"], "/api/v1/access/entitlements",
                 {"role": erp["clerk"].pk, "holder": "rita", "reason": "again"})  # fmt: skip
    assert twice.status_code == 400 and "already holds" in twice.json()["detail"]
    mine = client_for(rita).get("/api/v1/access/entitlements").json()["items"]
    assert [e["number"] for e in mine] == [body["number"]]
    entry = history_of(Entitlement.objects.get()).first()
    assert entry.changes["reason"]["new"] == "REQ0001001" and verify_history() == []


def test_only_owners_and_access_managers_grant_and_revoke(erp, make_user):
    rita = make_user("rita")
    agent = make_user("adam", Role.AGENT)
    body = {"role": erp["clerk"].pk, "holder": "rita", "reason": "Because"}
    assert post(rita, "/api/v1/access/entitlements", body).status_code == 403
    assert post(agent, "/api/v1/access/entitlements", body).status_code == 403
    manager = make_user("alex", Role.ACCESS_MANAGER)
    number = post(manager, "/api/v1/access/entitlements", body).json()["number"]
    refused = post(agent, f"/api/v1/access/entitlements/{number}/revoke", {"reason": "x"})
    assert refused.status_code == 403  # the desk reads the register, but does not change it
    assert client_for(agent).get(f"/api/v1/access/entitlements/{number}").status_code == 200
    assert (
        client_for(make_user("sue")).get(f"/api/v1/access/entitlements/{number}").status_code == 404
    )
    revoked = post(erp["owner"], f"/api/v1/access/entitlements/{number}/revoke",
                   {"reason": "Moved to sales", "version": 1})  # fmt: skip
    assert revoked.status_code == 200, revoked.content
    assert (revoked.json()["state"], revoked.json()["ended_by"]) == ("revoked", "olga")
    ended = client_for(rita).get("/api/v1/access/entitlements?state=revoked").json()["items"]
    assert [e["end_reason"] for e in ended] == ["Moved to sales"]
    assert client_for(rita).get("/api/v1/access/entitlements").json()["items"] == []


def test_time_limited_grants_expire_and_long_ones_are_refused(erp, make_user):
    make_user("rita")
    today = timezone.localdate()
    too_long = post(erp["owner"], "/api/v1/access/entitlements", {
        "role": erp["admin"].pk, "holder": "rita", "reason": "Migration",
        "expires_on": (today + dt.timedelta(days=31)).isoformat(),
    })  # fmt: skip
    assert too_long.status_code == 400 and "30 days at most" in too_long.json()["detail"]
    post(erp["owner"], "/api/v1/access/entitlements", {
        "role": erp["admin"].pk, "holder": "rita", "reason": "Migration",
        "expires_on": (today + dt.timedelta(days=3)).isoformat(),
    })  # fmt: skip
    assert expire_due(today + dt.timedelta(days=3)) == 0  # the last day is still a day
    assert expire_due(today + dt.timedelta(days=4)) == 1
    entitlement = Entitlement.objects.get()
    assert (entitlement.state, entitlement.ended_by) == ("expired", None)
    assert history_of(entitlement).last().channel == "job"
    assert expire_due(today + dt.timedelta(days=5)) == 0


def test_a_leaver_loses_everything_at_once(erp, make_user):
    make_user("rita")
    manager = make_user("alex", Role.ACCESS_MANAGER)
    for role in (erp["clerk"], erp["admin"]):
        post(manager, "/api/v1/access/entitlements", {
            "role": role.pk, "holder": "rita", "reason": "Joiner",
            "expires_on": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        })  # fmt: skip
    assert post(erp["owner"], "/api/v1/access/leavers/rita", {"reason": "x"}).status_code == 403
    done = post(manager, "/api/v1/access/leavers/rita", {"reason": "Leaver REQ0001009"})
    assert done.status_code == 200 and done.json() == {"revoked": 2}
    assert set(Entitlement.objects.values_list("state", flat=True)) == {"revoked"}
    auditor = client_for(make_user("aude", Role.AUDITOR))
    register = auditor.get("/api/v1/access/entitlements?state=revoked&holder=rita").json()
    assert {e["end_reason"] for e in register["items"]} == {"Leaver REQ0001009"}
