"""The portal's and workspace's request pages: who may open what, the order form's errors
beside their fields, ordering for someone else, cancelling, the approvals inbox, the tasks."""

from __future__ import annotations

from watchkeeper.accounts.choices import Role
from watchkeeper.requests.models import ApprovalStep, FulfilmentStep, FulfilmentTask, ServiceRequest
from watchkeeper.requests.tests.helpers import client_for

SIZE = {"name": "size", "label": "Screen size", "kind": "choice", "choices": ["13", "15"],
        "required": True}  # fmt: skip
SCREENS = {"name": "screens", "label": "Screens", "kind": "number", "maximum": 2}


def test_the_catalog_shows_what_one_may_order_and_the_form_names_each_problem(make_item, make_user):
    laptop = make_item("Laptop", SIZE, SCREENS, description="**Standard** issue")
    make_item("Headset", audience_roles=[Role.AGENT])
    rita = client_for(make_user("rita"))
    catalog = rita.get("/portal/catalog/")
    assert catalog.status_code == 200
    assert b"Laptop" in catalog.content and b"Headset" not in catalog.content
    form = rita.get(f"/portal/catalog/{laptop.pk}/")
    assert b"<strong>Standard</strong>" in form.content and b"Screens (optional)" in form.content
    bad = rita.post(
        f"/portal/catalog/{laptop.pk}/", {"size": "", "screens": "3", "quantity__": "1"}
    )
    assert bad.status_code == 400
    assert b"This question needs an answer." in bad.content and b"At most 2." in bad.content
    assert not ServiceRequest.objects.exists()
    good = rita.post(f"/portal/catalog/{laptop.pk}/", {"size": "15", "quantity__": "2"})
    record = ServiceRequest.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/portal/requests/{record.number}/"
    page = rita.get(good["Location"])
    assert b"Screen size" in page.content and b"In fulfilment" in page.content


def test_ordering_for_someone_else_is_offered_to_those_who_may(make_item, make_user):
    laptop = make_item("Laptop")
    boss = make_user("bob")
    make_user("nick", manager=boss)
    rita = client_for(make_user("rita"))
    assert b"For (optional)" not in rita.get(f"/portal/catalog/{laptop.pk}/").content
    bobs = client_for(boss)
    assert b"For (optional)" in bobs.get(f"/portal/catalog/{laptop.pk}/").content
    url = f"/portal/catalog/{laptop.pk}/"

    def order_for(username: str):
        return bobs.post(url, {"quantity__": "1", "requested_for__": username})

    ghost = order_for("ghost")
    assert ghost.status_code == 400 and b"No active user named" in ghost.content
    other = order_for(make_user("sue").username)
    assert other.status_code == 400 and b"their manager" in other.content
    done = order_for("nick")
    assert done.status_code == 302
    assert ServiceRequest.objects.get().requested_for.username == "nick"


def test_requests_are_private_and_cancelled_from_the_portal(make_item, make_user):
    laptop = make_item("Laptop")
    rita, sue = make_user("rita"), make_user("sue")
    client_for(rita).post(f"/portal/catalog/{laptop.pk}/", {"quantity__": "1"})
    number = ServiceRequest.objects.get().number
    assert client_for(sue).get(f"/portal/requests/{number}/").status_code == 404
    refused = client_for(sue).post(f"/portal/requests/{number}/cancel/", {"reason": "x"})
    assert refused.status_code == 404
    mine = client_for(rita)
    assert number.encode() in mine.get("/portal/requests/").content
    mine.post(f"/portal/requests/{number}/cancel/", {"reason": "Not needed"})
    assert ServiceRequest.objects.get().state == "closed_cancelled"
    assert number.encode() in mine.get("/portal/requests/?show=closed").content


def test_the_approvals_inbox_links_to_the_decision_page(make_item, make_user):
    laptop = make_item("Laptop")
    ApprovalStep.objects.create(item=laptop, level=1, approver_kind="manager")
    boss = make_user("bob")
    client_for(make_user("rita", manager=boss)).post(
        f"/portal/catalog/{laptop.pk}/", {"quantity__": "1"}
    )
    inbox = client_for(boss).get("/portal/approvals/")
    assert b"/approvals/" in inbox.content and b"Laptop" in inbox.content
    assert b"Nothing waits" in client_for(make_user("sue")).get("/portal/approvals/").content


def test_tasks_are_for_staff_and_worked_by_fulfilers(make_item, make_user, make_group):
    adam = make_user("adam", Role.AGENT)
    desk = make_group("Service Desk", members=(adam,))
    laptop = make_item("Laptop", fulfilment_group=desk)
    FulfilmentStep.objects.create(item=laptop, stage=1, title="Hand it over")
    rita = make_user("rita")
    client_for(rita).post(f"/portal/catalog/{laptop.pk}/", {"quantity__": "1"})
    task = FulfilmentTask.objects.get()
    assert client_for(rita).get("/desk/tasks/").status_code == 403
    assert client_for(rita).get(f"/desk/tasks/{task.number}/").status_code == 403
    desk_client = client_for(adam)
    assert task.number.encode() in desk_client.get("/desk/tasks/?show=mine").content
    auditor = client_for(make_user("aude", Role.AUDITOR))
    page = auditor.get(f"/desk/tasks/{task.number}/")
    assert page.status_code == 200 and b"Complete the task" not in page.content
    auditor.post(f"/desk/tasks/{task.number}/", {"do": "complete", "version": "1"})
    assert FulfilmentTask.objects.get().state == "open"
    desk_client.post(f"/desk/tasks/{task.number}/", {"do": "take", "version": "1"})
    desk_client.post(f"/desk/tasks/{task.number}/", {"do": "complete", "version": "2"})
    assert FulfilmentTask.objects.get().state == "complete"
    assert ServiceRequest.objects.get().state == "closed_complete"
