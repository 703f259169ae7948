"""Approvals: the manager, a group (anyone or everyone), several levels; nobody approves their
own request; a rejected item is never fulfilled."""

from __future__ import annotations

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests.models import ApprovalStep, ServiceRequest
from watchkeeper.requests.tests.helpers import client_for, post


def order(user, item, **extra):
    answer = post(user, "/api/v1/requests", {"items": [{"item": item.pk}], **extra})
    assert answer.status_code == 201, answer.content
    return answer.json()


def waiting(user) -> list[dict]:
    return client_for(user).get("/api/v1/approvals").json()["items"]


@pytest.fixture
def people(make_user, make_group):
    boss = make_user("bob")
    rita = make_user("rita", manager=boss)
    agent = make_user("adam", Role.AGENT)
    ivy, sam = make_user("ivy", Role.INCIDENT_MANAGER), make_user("sam", Role.RESOLVER)
    approvers = make_group("Security", members=(ivy, sam))
    return {"boss": boss, "rita": rita, "adam": agent, "ivy": ivy, "sam": sam,
            "security": approvers}  # fmt: skip


def step(item, level, kind, rule="any", **who):
    ApprovalStep.objects.create(item=item, level=level, approver_kind=kind, rule=rule, **who)


def test_the_manager_then_a_group_approve_and_the_item_goes_to_fulfilment(make_item, people):
    # given an item approved by the manager, then by anyone of the security group
    item = make_item("VPN access")
    step(item, 1, "manager")
    step(item, 2, "group", group=people["security"])
    # when Rita orders it
    request = order(people["rita"], item)
    # then it waits for her manager, who sees the request and approves
    assert request["items"][0]["state"] == "awaiting_approval"
    [asked] = waiting(people["boss"])
    assert (asked["request"], asked["requested_for"], asked["level"]) == (
        request["number"], "rita", 1,
    )  # fmt: skip
    assert (
        client_for(people["boss"]).get(f"/api/v1/requests/{request['number']}").status_code == 200
    )
    assert post(people["boss"], f"/api/v1/approvals/{asked['id']}/approve").status_code == 200
    # and then both security members are asked; the first to decide settles it
    assert len(waiting(people["ivy"])) == len(waiting(people["sam"])) == 1
    decided = post(people["sam"], f"/api/v1/approvals/{waiting(people['sam'])[0]['id']}/approve")
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    assert waiting(people["ivy"]) == []  # no longer needed
    body = client_for(people["rita"]).get(f"/api/v1/requests/{request['number']}").json()
    assert body["items"][0]["state"] == "in_fulfilment"
    assert [(a["approver"], a["state"]) for a in body["items"][0]["approvals"]] == [
        ("bob", "approved"), ("ivy", "not_needed"), ("sam", "approved"),
    ]  # fmt: skip
    entries = history_of(ServiceRequest.objects.get(number=request["number"]))
    decisions = [e.changes["items.1.approval"]["new"]["approver"] for e in entries[1:]]
    assert decisions == ["bob", "sam"] and verify_history() == []


def test_all_must_approve_and_one_rejection_rejects_for_good(make_item, people):
    item = make_item("Firewall change")
    step(item, 1, "group", rule="all", group=people["security"])
    request = order(people["rita"], item)
    number = request["number"]
    ivy_asked = waiting(people["ivy"])[0]["id"]
    assert post(people["ivy"], f"/api/v1/approvals/{ivy_asked}/approve").status_code == 200
    state = client_for(people["rita"]).get(f"/api/v1/requests/{number}").json()["items"][0]
    assert state["state"] == "awaiting_approval"  # Sam has not decided yet
    sam_asked = waiting(people["sam"])[0]["id"]
    no_reason = post(people["sam"], f"/api/v1/approvals/{sam_asked}/reject")
    assert no_reason.status_code == 400 and "why" in no_reason.json()["detail"]
    rejected = post(people["sam"], f"/api/v1/approvals/{sam_asked}/reject", {"comment": "Risky"})
    assert rejected.status_code == 200, rejected.content
    body = client_for(people["rita"]).get(f"/api/v1/requests/{number}").json()
    assert body["state"] == "closed_rejected" and body["items"][0]["state"] == "rejected"
    # a rejected item is never fulfilled, nor decided again
    late = post(people["adam"], f"/api/v1/requests/{number}/items/1/complete")
    assert late.status_code == 400
    again = post(people["ivy"], f"/api/v1/approvals/{ivy_asked}/approve")
    assert again.status_code == 400


def test_nobody_approves_their_own_request(make_item, make_user, people):
    # given an item whose approver is Ivy herself, owned by Oscar
    oscar = make_user("oscar", Role.SERVICE_OWNER)
    item = make_item("Admin rights", owner=oscar)
    step(item, 1, "user", user=people["ivy"])
    # when Ivy orders it for herself, she is not asked: the owner is
    request = order(people["ivy"], item)
    assert waiting(people["ivy"]) == []
    [asked] = waiting(oscar)
    # and no one else can decide Oscar's approval, Ivy included
    for intruder in (people["ivy"], people["adam"]):
        assert post(intruder, f"/api/v1/approvals/{asked['id']}/approve").status_code == 404
    # when she orders it for Rita, she is not asked either (she ordered it)
    for_rita = order(people["ivy"], item, requested_for="rita")
    assert waiting(people["ivy"]) == [] and len(waiting(oscar)) == 2
    assert {a["request"] for a in waiting(oscar)} == {request["number"], for_rita["number"]}


def test_an_item_no_one_else_could_approve_is_refused_whole(make_item, make_user, people):
    item = make_item("Own approval only")
    step(item, 1, "manager")
    boss = people["boss"]  # no manager of his own, and the item has no owner
    answer = post(boss, "/api/v1/requests", {"items": [{"item": item.pk}]})
    assert answer.status_code == 400
    assert "items.1.approval" in answer.json()["errors"]
    assert not ServiceRequest.objects.exists()


def test_cancelling_withdraws_the_approvals(make_item, people):
    item = make_item("VPN access")
    step(item, 1, "manager")
    number = order(people["rita"], item)["number"]
    assert len(waiting(people["boss"])) == 1
    assert post(people["rita"], f"/api/v1/requests/{number}/cancel",
                {"reason": "Found another way"}).status_code == 200  # fmt: skip
    assert waiting(people["boss"]) == []
    decided = client_for(people["boss"]).get("/api/v1/approvals?state=not_needed").json()
    assert [a["request"] for a in decided["items"]] == [number]
