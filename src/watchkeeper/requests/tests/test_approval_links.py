"""Approving from the e-mail: the approver gets a signed link; opening it decides nothing, the
form's POST decides as them; a forged, foreign or expired link leads nowhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from watchkeeper.core.history import history_of
from watchkeeper.requests import actions
from watchkeeper.requests.models import Approval, ApprovalStep, ServiceRequest

LINK = re.compile(r"https?://\S+(/approvals/[^/\s]+/)")


@pytest.fixture
def asked(make_item, make_user, django_capture_on_commit_callbacks):
    """Rita ordered VPN access; her manager Bob was e-mailed."""
    boss = make_user("bob", email="bob@example.org")
    rita = make_user("rita", manager=boss)
    item = make_item("VPN access", {"name": "reason", "label": "Why", "kind": "text"})
    ApprovalStep.objects.create(item=item, level=1, approver_kind="manager")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes on commit
        request = actions.order(
            acting_user=rita, lines=[actions.Line(item, {"reason": "Working from home"})]
        )
    return {"request": request, "boss": boss, "rita": rita}


def the_link() -> str:
    [message] = [m for m in mail.outbox if "Approval needed" in m.subject]
    assert message.to == ["bob@example.org"]
    assert "Working from home" in message.body
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def test_the_manager_approves_from_the_e_mail_link_without_logging_in(asked):
    link = the_link()
    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200
    assert b"Working from home" in page.content and b"Approve" in page.content
    assert Approval.objects.get().state == "requested"  # opening decides nothing
    done = browser.post(link, {"decision": "approve"}, follow=True)
    assert done.status_code == 200 and b"Thank you" in done.content
    assert b"This approval is approved" in done.content
    request = ServiceRequest.objects.get(pk=asked["request"].pk)
    assert request.items.get().state == "in_fulfilment"
    decided = history_of(request).last()
    assert (decided.channel, decided.actor_id) == ("email", asked["boss"].pk)
    again = browser.post(link, {"decision": "reject", "comment": "Changed my mind"})
    assert again.status_code == 400 and b"no longer waiting" in again.content


def test_rejecting_from_the_link_needs_a_reason(asked):
    link = the_link()
    browser = Client()
    refused = browser.post(link, {"decision": "reject"})
    assert refused.status_code == 400 and b"Say why" in refused.content
    browser.post(link, {"decision": "reject", "comment": "Not needed for this role"})
    assert ServiceRequest.objects.get(pk=asked["request"].pk).state == "closed_rejected"


def test_forged_foreign_and_expired_links_lead_nowhere(asked):
    link = the_link()
    token = link.split("/")[2]
    browser = Client()
    assert browser.get(f"/approvals/{token[:-2]}xx/").status_code == 404
    assert browser.post(f"/approvals/{token[:-2]}xx/", {"decision": "approve"}).status_code == 404
    approval = Approval.objects.get()
    approval.approver = asked["rita"]  # the link names Bob: it is no longer his approval
    approval.save()
    assert browser.get(link).status_code == 404
    approval.approver = asked["boss"]
    approval.save()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=15)):
        assert browser.get(link).status_code == 404
    assert Approval.objects.get().state == "requested"
