"""Configuring access by API: access managers declare roles, rules, profiles and the lifecycle
items; every problem is a 400 naming the field; anyone else gets 403; each change is in the
history of the system it is about."""

from __future__ import annotations

import json

import pytest

from watchkeeper.access.models import AccessProfile, AccessRole, LifecycleItem, SodRule
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests.tests.helpers import client_for, post


def patch(user, path, body):
    return client_for(user).patch(path, json.dumps(body), content_type="application/json")


def put(user, path, body):
    return client_for(user).put(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def world(make_user, make_item):
    alex = make_user("alex", Role.ACCESS_MANAGER)
    erp = create_ci(name="ERP", ci_class="application", acting_user=None)
    crm = create_ci(name="CRM", ci_class="application", acting_user=None)
    return {
        "alex": alex, "olga": make_user("olga"), "rick": make_user("rick", Role.AUDITOR),
        "agent": make_user("adam", Role.AGENT), "erp": erp, "crm": crm,
        "item": make_item("ERP: clerk", category="Access"),
    }  # fmt: skip


def role(world, name, **extra):
    body = {"system": world["erp"].number, "name": name, "owner": "olga", **extra}
    made = post(world["alex"], "/api/v1/access/roles", body)
    assert made.status_code == 201, made.content
    return made.json()


def test_an_access_manager_declares_and_changes_a_role(world):
    # when Alex declares the clerk role with its catalog item
    body = role(world, "AP clerk", max_days=90, catalog_item=world["item"].pk)
    # then it is there as sent, and in its history
    assert (body["system_number"], body["owner"], body["max_days"], body["catalog_item"]) == (
        world["erp"].number, "olga", 90, world["item"].pk,
    )  # fmt: skip
    made = AccessRole.objects.get(pk=body["id"])
    entry = history_of(made).get()
    assert (entry.action, entry.actor, entry.channel) == ("created", world["alex"], "api")
    assert entry.changes["name"]["new"] == "AP clerk"
    # when he moves it to the CRM, hands it to Rick and lifts the limit
    changed = patch(world["alex"], f"/api/v1/access/roles/{made.pk}",
                    {"system": world["crm"].number, "owner": "rick", "max_days": None})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert (changed.json()["system"], changed.json()["owner"], changed.json()["max_days"]) == (
        "CRM", "rick", None,
    )  # fmt: skip
    # then its history says so
    entry = history_of(made).last()
    assert entry.action == "updated" and entry.changes["owner"]["new"]["label"] == "rick"
    assert entry.changes["system"]["old"]["label"] == str(world["erp"])
    assert verify_history() == []
    # and it is listed
    listed = client_for(world["olga"]).get("/api/v1/access/roles").json()
    assert [(r["system"], r["name"]) for r in listed] == [("CRM", "AP clerk")]


def test_a_wrong_role_is_refused_naming_the_field(world, make_item):
    role(world, "AP clerk", catalog_item=world["item"].pk)
    cases = [
        ({"system": "CI9999999"}, "system"),
        ({"owner": "nobody"}, "owner"),
        ({"name": "AP clerk"}, "name"),  # the ERP has it already
        ({"catalog_item": world["item"].pk}, "catalog_item"),  # another role's
        ({"catalog_item": 10**9}, "catalog_item"),
    ]
    for change, field in cases:
        body = {"system": world["erp"].number, "name": "Other", "owner": "olga", **change}
        refused = post(world["alex"], "/api/v1/access/roles", body)
        assert refused.status_code == 400, (change, refused.content)
        assert field in refused.json()["errors"], (change, refused.json())
    bad_type = post(world["alex"], "/api/v1/access/roles",
                    {"system": "x", "name": "y", "owner": "olga", "max_days": 0})  # fmt: skip
    assert bad_type.status_code == 422 and "max_days" in bad_type.json()["detail"]
    made = AccessRole.objects.get()
    emptied = patch(world["alex"], f"/api/v1/access/roles/{made.pk}", {"name": None})
    assert emptied.status_code == 400 and "name" in emptied.json()["errors"]
    assert AccessRole.objects.count() == 1


def test_a_joiner_item_cannot_request_a_role(world, make_item):
    joiner = make_item("Joiner", category="People")
    role(world, "Clerk")
    AccessProfile.objects.create(name="Clerk")
    assert (
        put(
            world["alex"],
            "/api/v1/access/lifecycle-items",
            {"items": [{"catalog_item": joiner.pk, "kind": "joiner"}]},
        ).status_code
        == 200
    )
    body = {"system": world["erp"].number, "name": "Other", "owner": "olga",
            "catalog_item": joiner.pk}  # fmt: skip
    refused = post(world["alex"], "/api/v1/access/roles", body)
    assert refused.status_code == 400 and "catalog_item" in refused.json()["errors"]


def test_only_access_managers_configure(world):
    made = role(world, "Clerk")
    profile = AccessProfile.objects.create(name="Clerk")
    writes = [
        ("post", "/api/v1/access/roles", {"system": world["erp"].number, "name": "X",
                                          "owner": "olga"}),
        ("patch", f"/api/v1/access/roles/{made['id']}", {"name": "Y"}),
        ("post", "/api/v1/access/sod-rules", {"first": made["id"], "second": made["id"],
                                              "description": "x"}),
        ("post", "/api/v1/access/profiles", {"name": "Z"}),
        ("patch", f"/api/v1/access/profiles/{profile.pk}", {"name": "Z"}),
        ("put", "/api/v1/access/lifecycle-items", {"items": []}),
    ]  # fmt: skip
    send = {"post": post, "patch": patch, "put": put}
    for user in (world["agent"], world["olga"], world["rick"]):  # desk, the owner, an auditor
        for method, path, body in writes:
            answer = send[method](user, path, body)
            assert answer.status_code == 403, (user, method, path, answer.content)
    assert AccessRole.objects.get().name == "Clerk" and AccessProfile.objects.get().name == "Clerk"
    # readers read profiles and lifecycle items; a requester does not
    for path in ("/api/v1/access/profiles", "/api/v1/access/lifecycle-items"):
        assert client_for(world["rick"]).get(path).status_code == 200
        assert client_for(world["olga"]).get(path).status_code == 403


def test_rules_block_or_ask_an_approver(world):
    first, second = role(world, "Suppliers")["id"], role(world, "Payments")["id"]
    # an approval rule needs its approver
    body = {"first": first, "second": second, "description": "x", "mode": "approval"}
    without = post(world["alex"], "/api/v1/access/sod-rules", body)
    assert without.status_code == 400 and "approver" in without.json()["errors"]
    made = post(world["alex"], "/api/v1/access/sod-rules",
                {"first": first, "second": second, "description": "Not both", "mode": "approval",
                 "approver": "rick"})  # fmt: skip
    assert made.status_code == 201, made.content
    assert (made.json()["mode"], made.json()["approver"]) == ("approval", "rick")
    rule = SodRule.objects.get()
    assert history_of(rule).get().changes["mode"]["new"] == "approval"
    # the same pair again, either way round, or a role with itself
    for pair in ((first, second), (second, first), (first, first)):
        again = post(world["alex"], "/api/v1/access/sod-rules",
                     {"first": pair[0], "second": pair[1], "description": "x"})  # fmt: skip
        assert again.status_code == 400 and "second" in again.json()["errors"], pair
    unknown = post(world["alex"], "/api/v1/access/sod-rules",
                   {"first": first, "second": 10**9, "description": "x"})  # fmt: skip
    assert unknown.status_code == 400 and "second" in unknown.json()["errors"]
    # it becomes blocking; the readers' list shows it
    blocking = patch(world["alex"], f"/api/v1/access/sod-rules/{rule.pk}", {"mode": "block"})
    assert blocking.status_code == 200 and blocking.json()["mode"] == "block"
    listed = client_for(world["rick"]).get("/api/v1/access/sod-rules").json()
    assert [(r["mode"], r["approver"]) for r in listed] == [("block", "rick")]


def test_profiles_hold_roles_that_may_go_together(world):
    clerk, suppliers, payments = (role(world, n)["id"] for n in ("Clerk", "Suppliers", "Payments"))
    post(world["alex"], "/api/v1/access/sod-rules",
         {"first": suppliers, "second": payments, "description": "Not both"})  # fmt: skip
    made = post(world["alex"], "/api/v1/access/profiles",
                {"name": "AP clerk", "roles": [clerk, suppliers]})  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["roles"] == sorted([clerk, suppliers])
    profile = AccessProfile.objects.get()
    entry = history_of(profile).get()
    assert entry.changes["roles"]["new"] == [
        "ERP: Clerk", "ERP: Suppliers",
    ]  # fmt: skip
    # a profile breaking a rule, an unknown role, a name in use: 400 naming the field
    path = f"/api/v1/access/profiles/{profile.pk}"
    clash = patch(world["alex"], path, {"roles": [suppliers, payments]})
    assert clash.status_code == 400 and "Not both" in clash.json()["errors"]["roles"][0]
    unknown = patch(world["alex"], path, {"roles": [10**9]})
    assert unknown.status_code == 400 and "roles" in unknown.json()["errors"]
    post(world["alex"], "/api/v1/access/profiles", {"name": "Buyer"})
    taken = patch(world["alex"], path, {"name": "Buyer"})
    assert taken.status_code == 400 and "name" in taken.json()["errors"]
    assert sorted(profile.roles.values_list("pk", flat=True)) == sorted([clerk, suppliers])
    # a change is kept
    moved = patch(world["alex"], path, {"roles": [payments], "is_active": False})
    assert moved.status_code == 200 and moved.json()["roles"] == [payments]
    listed = client_for(world["rick"]).get("/api/v1/access/profiles").json()
    assert [(p["name"], p["is_active"]) for p in listed] == [("AP clerk", False), ("Buyer", True)]


def test_lifecycle_items_are_set_as_a_whole(world, make_item):
    joiner, leaver = make_item("Joiner", category="People"), make_item("Leaver", category="People")
    # a joiner needs a profile to choose
    early = put(world["alex"], "/api/v1/access/lifecycle-items",
                {"items": [{"catalog_item": joiner.pk, "kind": "joiner"}]})  # fmt: skip
    assert early.status_code == 400 and "items.1.catalog_item" in early.json()["errors"]
    post(world["alex"], "/api/v1/access/profiles", {"name": "Clerk"})
    body = {"items": [{"catalog_item": joiner.pk, "kind": "joiner"},
                      {"catalog_item": leaver.pk, "kind": "leaver"}]}  # fmt: skip
    made = put(world["alex"], "/api/v1/access/lifecycle-items", body)
    assert made.status_code == 200, made.content
    assert [(i["catalog_item_name"], i["kind"]) for i in made.json()] == [
        ("Joiner", "joiner"), ("Leaver", "leaver"),
    ]  # fmt: skip
    assert joiner.variables.get(name="profile").choices == ["Clerk"]
    assert leaver.variables.get(name="last_day").kind == "date"
    # wrong entries: twice, an access role's item, an unknown item, a wrong kind
    role(world, "Clerk", catalog_item=world["item"].pk)
    twice = {"items": [{"catalog_item": leaver.pk, "kind": "leaver"}] * 2}
    assert (
        "items.2.catalog_item"
        in put(world["alex"], "/api/v1/access/lifecycle-items", twice).json()["errors"]
    )
    for entry, status in [({"catalog_item": world["item"].pk, "kind": "mover"}, 400),
                          ({"catalog_item": 10**9, "kind": "mover"}, 400),
                          ({"catalog_item": joiner.pk, "kind": "retiree"}, 422)]:  # fmt: skip
        answer = put(world["alex"], "/api/v1/access/lifecycle-items", {"items": [entry]})
        assert answer.status_code == status, (entry, answer.content)
    assert LifecycleItem.objects.count() == 2
    # a list without the leaver makes it an ordinary item again
    only = put(world["alex"], "/api/v1/access/lifecycle-items", {"items": body["items"][:1]})
    assert only.status_code == 200
    listed = client_for(world["rick"]).get("/api/v1/access/lifecycle-items").json()
    assert [i["catalog_item"] for i in listed] == [joiner.pk]
    # and each item's history says when it became, and stopped being, one
    became, stopped = [e for e in history_of(leaver) if "lifecycle" in e.changes]
    assert became.changes["lifecycle"] == {"old": None, "new": "leaver"}
    assert stopped.changes["lifecycle"] == {"old": "leaver", "new": None}
    assert (stopped.actor_label, stopped.channel) == ("alex", "api")


def test_the_operations_are_in_the_openapi_description(world):
    spec = client_for(world["rick"]).get("/api/v1/openapi.json").json()
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "create_access_role", "update_access_role", "create_sod_rule", "update_sod_rule",
        "list_access_profiles", "create_access_profile", "update_access_profile",
        "list_lifecycle_items", "set_lifecycle_items",
    } <= operations  # fmt: skip


def test_the_configuration_actions_refuse_anyone_but_an_access_manager(world):
    from django.core.exceptions import PermissionDenied

    from watchkeeper.access import configuration

    values = {"system": world["erp"], "name": "Clerk", "owner": world["olga"]}
    for user in (world["agent"], world["olga"]):
        with pytest.raises(PermissionDenied):
            configuration.save_role(None, values, acting_user=user)
        with pytest.raises(PermissionDenied):
            configuration.save_profile(None, {"name": "Clerk"}, roles=[], acting_user=user)
        with pytest.raises(PermissionDenied):
            configuration.set_lifecycle_items([], acting_user=user)
    made = configuration.save_role(None, values, acting_user=world["alex"])
    with pytest.raises(PermissionDenied):
        configuration.save_rule(None, {"first": made, "second": made}, acting_user=world["agent"])
    assert not AccessProfile.objects.exists() and AccessRole.objects.count() == 1
