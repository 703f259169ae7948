"""The agent workspace's tab strip: Incidents | Problems | Tasks (open for my groups) | My approvals
| Knowledge (to review), on the incidents queue, the task queue and the approvals page; not for
those without a workspace."""

from __future__ import annotations

import re

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.requests.models import ApprovalStep, FulfilmentStep
from watchkeeper.requests.tests.helpers import client_for, post


def tabs(page: bytes) -> list[str]:
    """The strip's tabs as text, the current one starred."""
    strip = re.search(rb'<nav[^>]*data-testid="workspace-tabs">(.*?)</nav>', page, re.S)
    if strip is None:
        return []
    found = re.findall(rb"<a ([^>]*)>(.*?)</a>", strip[1], re.S)
    return [
        ("*" if b'aria-current="page"' in attrs else "")
        + re.sub(r"<[^>]+>|\s+", " ", text.decode()).strip().replace("  ", " ")
        for attrs, text in found
    ]


@pytest.fixture
def adam(make_item, make_user, make_group):
    """An agent in the Servers group: two tasks open for it, one for another group, and one
    approval asked of him."""
    adam = make_user("adam", Role.AGENT)
    servers = make_group("Servers", members=(adam,))
    network = make_group("Network")
    laptop = make_item("Laptop", fulfilment_group=servers)
    FulfilmentStep.objects.create(item=laptop, stage=1, title="Image it")
    FulfilmentStep.objects.create(item=laptop, stage=1, title="Cable it", group=network)
    phone = make_item("Phone", fulfilment_group=servers)
    FulfilmentStep.objects.create(item=phone, stage=1, title="Set it up")
    ApprovalStep.objects.create(item=phone, level=1, approver_kind="user", user=adam)
    rita = make_user("rita")
    for item in (laptop, laptop, phone):
        assert post(rita, "/api/v1/requests", {"items": [{"item": item.pk}]}).status_code == 201
    return adam


def test_the_incidents_queue_shows_the_strip_with_the_counts(adam):
    page = client_for(adam).get("/desk/")
    assert page.status_code == 200
    assert tabs(page.content) == [
        "*Incidents", "Problems", "Tasks (2 open for my groups)", "My approvals (1)",
        "Knowledge (0 to review)",
    ]  # fmt: skip
    assert b'href="/desk/tasks/?show=mine"' in page.content
    assert b'href="/portal/approvals/"' in page.content


def test_the_task_queue_and_the_approvals_page_show_the_same_strip(adam):
    browser = client_for(adam)
    tasks = browser.get("/desk/tasks/?show=mine")
    approvals = browser.get("/portal/approvals/")
    assert tabs(tasks.content)[2:4] == ["*Tasks (2 open for my groups)", "My approvals (1)"]
    assert tabs(approvals.content)[2:4] == ["Tasks (2 open for my groups)", "*My approvals (1)"]


def test_the_counts_follow_the_work(adam):
    # when adam approves the phone (its task opens for his group)
    approval = adam.approvals.get()
    assert post(adam, f"/api/v1/approvals/{approval.pk}/approve").status_code == 200

    # then
    page = client_for(adam).get("/desk/")
    assert tabs(page.content)[2:4] == ["Tasks (3 open for my groups)", "My approvals (0)"]


def test_people_without_a_workspace_see_no_strip(make_user):
    rita = client_for(make_user("rita"))
    page = rita.get("/portal/approvals/")
    assert page.status_code == 200 and tabs(page.content) == []
    assert b"workspace-tabs" not in page.content


def test_an_auditor_sees_the_strip_without_work_of_their_own(make_user):
    page = client_for(make_user("audrey", Role.AUDITOR)).get("/desk/")
    assert tabs(page.content) == [
        "*Incidents",
        "Problems",
        "Tasks (0 open for my groups)",
        "My approvals (0)",
    ]  # fmt: skip  (no Knowledge: auditors do not write articles)
