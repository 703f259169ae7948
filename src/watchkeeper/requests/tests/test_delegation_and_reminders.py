"""Delegation while away, reminders and escalation of approvals that wait."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from watchkeeper.core.history import history_of
from watchkeeper.requests import actions
from watchkeeper.requests.links import path_for
from watchkeeper.requests.models import Approval, ApprovalStep
from watchkeeper.requests.reminders import remind_and_escalate
from watchkeeper.requests.tests.helpers import client_for, post

LINK = re.compile(r"https?://\S+(/approvals/[^/\s]+/)")


@pytest.fixture
def vpn(make_item, make_user):
    top = make_user("carla", email="carla@example.org")
    boss = make_user("bob", email="bob@example.org", manager=top)
    rita = make_user("rita", manager=boss)
    deputy = make_user("dina", email="dina@example.org")
    item = make_item("VPN access")
    ApprovalStep.objects.create(item=item, level=1, approver_kind="manager")
    return {"item": item, "boss": boss, "rita": rita, "deputy": deputy, "top": top}


def order(people, capture) -> object:
    with capture(execute=True):
        return actions.order(acting_user=people["rita"], lines=[actions.Line(people["item"], {})])


def test_a_delegate_decides_while_the_approver_is_away(vpn, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    made = post(vpn["boss"], "/api/v1/approvals/delegations", {
        "delegate": "dina", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=7)).isoformat(), "reason": "Holiday",
    })  # fmt: skip
    assert made.status_code == 201, made.content
    mail.outbox.clear()
    request = order(vpn, django_capture_on_commit_callbacks)
    # both Bob and his delegate are e-mailed, each with their own link
    to = sorted(address for m in mail.outbox for address in m.to)
    assert to == ["bob@example.org", "dina@example.org"]
    dinas = next(m for m in mail.outbox if m.to == ["dina@example.org"])
    link = LINK.search(dinas.body).group(1)  # type: ignore[union-attr]
    # she sees it among hers, and decides from her link
    [waiting] = client_for(vpn["deputy"]).get("/api/v1/approvals").json()["items"]
    assert waiting["approver"] == "bob"
    Client().post(link, {"decision": "approve"})
    approval = Approval.objects.get()
    assert (approval.state, approval.decided_by, approval.approver) == (
        "approved", vpn["deputy"], vpn["boss"],
    )  # fmt: skip
    decided = history_of(request).last().changes["items.1.approval"]["new"]
    assert (decided["approver"], decided["decided_by"]) == ("bob", "dina")


def test_a_delegation_ends_and_cannot_make_one_approve_their_own(vpn, make_user):
    today = timezone.localdate()
    post(vpn["boss"], "/api/v1/approvals/delegations", {
        "delegate": "rita", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
    })  # fmt: skip
    actions.order(acting_user=vpn["rita"], lines=[actions.Line(vpn["item"], {})])
    approval = Approval.objects.get()
    # Rita is Bob's delegate today, but this is her own request
    refused = post(vpn["rita"], f"/api/v1/approvals/{approval.pk}/approve")
    assert refused.status_code == 403 and "own request" in refused.json()["detail"]
    # and tomorrow another delegate's link no longer works
    sue = make_user("sue")
    post(vpn["boss"], "/api/v1/approvals/delegations", {
        "delegate": "sue", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
    })  # fmt: skip
    link = path_for(approval, sue)
    assert Client().get(link).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert Client().get(link).status_code == 404
    bad = post(vpn["boss"], "/api/v1/approvals/delegations", {
        "delegate": "bob", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
    })  # fmt: skip
    assert bad.status_code == 400 and "someone else" in bad.json()["detail"]


def test_waiting_approvals_are_reminded_then_escalated_once(
    vpn, django_capture_on_commit_callbacks
):
    request = order(vpn, django_capture_on_commit_callbacks)
    start = timezone.now()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_and_escalate(start + dt.timedelta(hours=1)) == (0, 0)
        assert remind_and_escalate(start + dt.timedelta(hours=25)) == (1, 0)
        assert remind_and_escalate(start + dt.timedelta(hours=26)) == (0, 0)  # not again yet
        assert remind_and_escalate(start + dt.timedelta(hours=73)) == (1, 1)
        assert remind_and_escalate(start + dt.timedelta(hours=74)) == (0, 0)
    subjects = [(m.to[0], m.subject.split(":")[0]) for m in mail.outbox]
    assert subjects == [
        ("bob@example.org", "[Watchkeeper] Reminder"),
        ("bob@example.org", "[Watchkeeper] Reminder"),
        ("carla@example.org", "[Watchkeeper] Waiting for bob's approval"),
    ]
    escalated = history_of(request).last().changes["items.1.approval_escalated"]["new"]
    assert escalated == {"approver": "bob", "to": "carla"}
    # once decided, nothing more is sent
    approval = Approval.objects.get()
    actions.decide_approval(approval, acting_user=vpn["boss"], approve=True)
    assert remind_and_escalate(start + dt.timedelta(hours=200)) == (0, 0)
