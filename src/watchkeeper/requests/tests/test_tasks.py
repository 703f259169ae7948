"""Fulfilment plans: tasks stage by stage with the answers copied in, assigned within their
group; the item completes with its last task; cancelling cancels the open tasks."""

from __future__ import annotations

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests.models import ApprovalStep, FulfilmentStep, FulfilmentTask
from watchkeeper.requests.tests.helpers import client_for, post

SIZE = {"name": "size", "label": "Size", "kind": "choice", "choices": ["13", "15"]}


@pytest.fixture
def laptop_plan(make_item, make_user, make_group):
    """A laptop: first the servers team prepares it and the network team opens a port (in
    parallel), then the desk hands it over."""
    sam, nina = make_user("sam", Role.RESOLVER), make_user("nina", Role.RESOLVER)
    adam = make_user("adam", Role.AGENT)
    desk = make_group("Service Desk", members=(adam,))
    servers = make_group("Servers", members=(sam,))
    network = make_group("Network", members=(nina,))
    item = make_item("Laptop", SIZE, fulfilment_group=desk)
    FulfilmentStep.objects.create(item=item, stage=1, title="Prepare the laptop", group=servers)
    FulfilmentStep.objects.create(item=item, stage=1, title="Open the docking port", group=network)
    FulfilmentStep.objects.create(item=item, stage=2, title="Hand it over")
    return {"item": item, "sam": sam, "nina": nina, "adam": adam, "rita": make_user("rita")}


def tasks_of(number: str) -> list[tuple[str, str, str]]:
    rows = FulfilmentTask.objects.filter(requested_item__request__number=number)
    return [(t.title, t.group.name if t.group else "", t.state) for t in rows.order_by("pk")]


def test_tasks_run_stage_by_stage_and_the_last_one_completes_the_request(laptop_plan):
    p = laptop_plan
    order = post(p["rita"], "/api/v1/requests",
                 {"items": [{"item": p["item"].pk, "answers": {"size": "15"}}]})  # fmt: skip
    assert order.status_code == 201, order.content
    number = order.json()["number"]
    # stage 1: two tasks in parallel, the answers copied in
    assert tasks_of(number) == [
        ("Prepare the laptop", "Servers", "open"), ("Open the docking port", "Network", "open"),
    ]  # fmt: skip
    queue = client_for(p["adam"]).get("/api/v1/tasks?open=true").json()["items"]
    assert [t["answers"] for t in queue] == [{"size": "15"}, {"size": "15"}]
    prepare, port = (t["number"] for t in queue)
    # a task is assigned within its group only
    wrong = post(p["adam"], f"/api/v1/tasks/{prepare}/assign", {"assigned_to": "nina"})
    assert wrong.status_code == 400 and "not in Servers" in wrong.json()["detail"]
    taken = post(p["adam"], f"/api/v1/tasks/{prepare}/assign", {"assigned_to": "sam"})
    assert taken.status_code == 200 and taken.json()["state"] == "in_progress"
    # the item cannot be marked complete by hand while it has a plan
    by_hand = post(p["adam"], f"/api/v1/requests/{number}/items/1/complete")
    assert by_hand.status_code == 400 and "tasks" in by_hand.json()["detail"]
    # completing stage 1 opens stage 2 for the item's fulfilment group
    post(p["sam"], f"/api/v1/tasks/{prepare}/complete", {"notes": "Imaged"})
    assert len(tasks_of(number)) == 2
    post(p["nina"], f"/api/v1/tasks/{port}/complete")
    assert tasks_of(number)[2] == ("Hand it over", "Service Desk", "open")
    handover = FulfilmentTask.objects.get(title="Hand it over").number
    done = post(p["adam"], f"/api/v1/tasks/{handover}/complete")
    assert done.status_code == 200, done.content
    request = client_for(p["rita"]).get(f"/api/v1/requests/{number}").json()
    assert request["state"] == "closed_complete"
    assert [t["state"] for t in request["items"][0]["tasks"]] == ["complete"] * 3
    task = FulfilmentTask.objects.get(number=prepare)
    assert [e.action for e in history_of(task)] == ["created", "updated", "updated"]
    assert verify_history() == []
    again = post(p["adam"], f"/api/v1/tasks/{handover}/complete")
    assert again.status_code == 400


def test_tasks_wait_for_approval_and_cancelling_cancels_them(laptop_plan, make_user):
    p = laptop_plan
    boss = make_user("bob")
    rita = make_user("rosa", manager=boss)
    ApprovalStep.objects.create(item=p["item"], level=1, approver_kind="manager")
    number = post(rita, "/api/v1/requests", {"items": [{"item": p["item"].pk}]}).json()["number"]
    assert tasks_of(number) == []  # nothing to do before the approval
    approval = client_for(boss).get("/api/v1/approvals").json()["items"][0]["id"]
    post(boss, f"/api/v1/approvals/{approval}/approve")
    assert [state for *_, state in tasks_of(number)] == ["open", "open"]
    cancelled = post(rita, f"/api/v1/requests/{number}/cancel", {"reason": "Leaving"})
    assert cancelled.json()["state"] == "closed_cancelled"
    assert [state for *_, state in tasks_of(number)] == ["cancelled", "cancelled"]


def test_only_staff_see_tasks_and_only_fulfilers_work_them(laptop_plan, make_user):
    p = laptop_plan
    number = post(p["rita"], "/api/v1/requests", {"items": [{"item": p["item"].pk}]}).json()[
        "number"
    ]
    task = FulfilmentTask.objects.filter(requested_item__request__number=number).first()
    assert task is not None
    assert client_for(p["rita"]).get("/api/v1/tasks").status_code == 403
    auditor = make_user("aude", Role.AUDITOR)
    assert client_for(auditor).get(f"/api/v1/tasks/{task.number}").status_code == 200
    refused = post(auditor, f"/api/v1/tasks/{task.number}/complete")
    assert refused.status_code == 403
