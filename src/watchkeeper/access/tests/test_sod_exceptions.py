"""Separation-of-duties rules in mode approval: an order that would break one is not refused
but needs the rule's approver's exception, asked after the item's own approvals; the grant then
says who allowed it. Nobody allows their own exception, a rejected one is never granted, a
direct grant is still refused, and a blocking rule is never waived."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from watchkeeper.access.actions import grant
from watchkeeper.access.models import AccessRole, Entitlement, SodRule
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests import actions
from watchkeeper.requests.approvals import EXTRA_LEVEL
from watchkeeper.requests.links import path_for
from watchkeeper.requests.models import ApprovalStep, ServiceRequest
from watchkeeper.requests.tests.helpers import client_for, post

WHY = "Who creates suppliers does not pay them"


@pytest.fixture
def erp(make_user, make_item):
    olga, rick = make_user("olga"), make_user("rick", Role.AUDITOR)
    system = create_ci(name="ERP", ci_class="application", acting_user=None)

    def role(name: str) -> AccessRole:
        item = make_item(f"ERP: {name}", category="Access")
        return AccessRole.objects.create(system=system, name=name, owner=olga, catalog_item=item)

    suppliers, payments = role("Supplier master data"), role("Payment approval")
    reports = role("Finance reports")
    rule = SodRule.objects.create(
        first=suppliers, second=payments, description=WHY, mode="approval", approver=rick
    )
    return {"owner": olga, "rick": rick, "suppliers": suppliers, "payments": payments,
            "reports": reports, "rule": rule}  # fmt: skip


def order(user, role, **extra):
    return actions.order(acting_user=user, lines=[actions.Line(role.catalog_item, {})], **extra)


def approvals_of(request):
    return list(request.items.get().approvals.order_by("level", "pk"))


def test_the_exception_is_asked_after_the_owner_and_the_grant_says_who_allowed_it(
    erp, make_user, django_capture_on_commit_callbacks
):
    # given Rita keeps suppliers, and payments need their owner's approval
    rita, sam = make_user("rita"), make_user("sam", Role.RESOLVER)
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    ApprovalStep.objects.create(item=erp["payments"].catalog_item, level=1, approver_kind="owner")
    # when she orders payment approval: not refused, the owner is asked first
    request = order(rita, erp["payments"])
    [owner_asked] = approvals_of(request)
    assert (owner_asked.approver, owner_asked.note) == (erp["owner"], "")
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_approval(owner_asked, acting_user=erp["owner"], approve=True)
    # then Rick is asked for the exception, with the rule in the note and in his e-mail
    exception = approvals_of(request)[1]
    assert (exception.approver, exception.level, exception.state) == (
        erp["rick"], EXTRA_LEVEL, "requested",
    )  # fmt: skip
    assert exception.note.startswith("Separation of duties: rita holds ERP: Supplier master data")
    [email] = [m for m in mail.outbox if m.to == ["rick@example.org"]]
    assert "for an exception" in email.body and WHY in email.body
    assert request.items.get().state == "awaiting_approval"
    # and the page he decides on says so, as does the API
    page = Client().get(path_for(exception, erp["rick"]))
    assert "An exception is asked:" in page.content.decode() and WHY in page.content.decode()
    listed = client_for(erp["rick"]).get("/api/v1/approvals").json()["items"]
    assert [a["note"] for a in listed] == [exception.note]
    # and once he allows it, the delivered grant records the exception
    actions.decide_approval(exception, acting_user=erp["rick"], approve=True, comment="Cover")
    actions.complete_item(request, 1, acting_user=sam)
    made = Entitlement.objects.get(role=erp["payments"])
    expected = (
        f"ERP: Supplier master data / ERP: Payment approval allowed by rick in {request.number}"
    )
    assert made.holder == rita and made.sod_exception == expected
    assert history_of(made).first().changes["sod_exception"]["new"] == expected
    entries = history_of(ServiceRequest.objects.get(pk=request.pk))
    decided = [
        e.changes["items.1.approval"]["new"] for e in entries if "items.1.approval" in e.changes
    ]
    assert decided[1]["note"] == exception.note
    assert expected in entries.last().changes["items.1.delivered"]["new"]
    assert verify_history() == []


def test_without_approvals_of_its_own_the_exception_is_asked_at_once(erp, make_user):
    rita = make_user("rita")
    grant(erp["payments"], rita, acting_user=erp["owner"], reason="REQ0000001")
    request = order(rita, erp["suppliers"])  # the rule is met from the other side too
    [exception] = approvals_of(request)
    assert (exception.approver, exception.level) == (erp["rick"], EXTRA_LEVEL)
    assert "holds ERP: Payment approval" in exception.note
    # no exception is needed by someone who holds neither role
    assert approvals_of(order(make_user("sue"), erp["suppliers"])) == []


def test_a_rejected_exception_is_never_granted(erp, make_user):
    rita, sam = make_user("rita"), make_user("sam", Role.RESOLVER)
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    request = order(rita, erp["payments"])
    [exception] = approvals_of(request)
    actions.decide_approval(exception, acting_user=erp["rick"], approve=False, comment="No")
    request.refresh_from_db()
    assert (request.state, request.items.get().state) == ("closed_rejected", "rejected")
    with pytest.raises(ValidationError):
        actions.complete_item(request, 1, acting_user=sam)
    assert not Entitlement.objects.filter(role=erp["payments"]).exists()


def test_nobody_allows_their_own_exception(erp, make_user):
    # given the rule's approver holds suppliers
    rick = erp["rick"]
    grant(erp["suppliers"], rick, acting_user=erp["owner"], reason="REQ0000001")
    # when he orders payments for himself: refused, naming the approval, nothing ordered
    with pytest.raises(ValidationError) as refused:
        order(rick, erp["payments"])
    message = refused.value.message_dict["items.1.approval"][0]
    assert "Only rick may allow an exception" in message and WHY in message
    # or when the one ordering for someone else is the approver
    rita = make_user("rita", manager=rick)
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000002")
    with pytest.raises(ValidationError) as for_her:
        order(rick, erp["payments"], requested_for=rita)
    assert "items.1.approval" in for_her.value.message_dict
    assert not ServiceRequest.objects.exists()
    # through the API: 400 naming the item
    refused_api = post(
        rick, "/api/v1/requests", {"items": [{"item": erp["payments"].catalog_item_id}]}
    )
    assert refused_api.status_code == 400 and "items.1.approval" in refused_api.json()["errors"]


def test_a_direct_grant_still_refuses_an_approval_rule(erp, make_user):
    rita = make_user("rita")
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    body = {"role": erp["payments"].pk, "holder": "rita", "reason": "By hand"}
    refused = post(erp["owner"], "/api/v1/access/entitlements", body)
    assert refused.status_code == 400 and WHY in refused.json()["detail"]


def test_a_blocking_rule_is_never_waived(erp, make_user):
    # given an exception approved, after which the rule is made blocking
    rita, sam = make_user("rita"), make_user("sam", Role.RESOLVER)
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    request = order(rita, erp["payments"])
    [exception] = approvals_of(request)
    actions.decide_approval(exception, acting_user=erp["rick"], approve=True)
    SodRule.objects.filter(pk=erp["rule"].pk).update(mode="block")
    # when the item is delivered
    actions.complete_item(request, 1, acting_user=sam)
    # then nothing is granted, and the request's history says why
    assert not Entitlement.objects.filter(role=erp["payments"]).exists()
    noted = history_of(ServiceRequest.objects.get(pk=request.pk)).last().changes
    assert noted["items.1.delivered"]["new"].startswith("Not written to the access register")


def test_each_broken_rule_needs_its_own_approver_and_only_approved_ones_are_waived(erp, make_user):
    # given a second rule, whose exceptions Aude allows
    aude, rita = make_user("aude", Role.AUDITOR), make_user("rita")
    sam = make_user("sam", Role.RESOLVER)
    SodRule.objects.create(
        first=erp["reports"], second=erp["payments"], description="Nobody pays and reports",
        mode="approval", approver=aude,
    )  # fmt: skip
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    grant(erp["reports"], rita, acting_user=erp["owner"], reason="REQ0000002")
    # when Rita orders payments, both approvers are asked, each about their rule
    request = order(rita, erp["payments"])
    rick_asked, aude_asked = approvals_of(request)
    assert (rick_asked.approver, aude_asked.approver) == (erp["rick"], aude)
    assert rick_asked.level != aude_asked.level
    actions.decide_approval(rick_asked, acting_user=erp["rick"], approve=True)
    assert request.items.get().state == "awaiting_approval"  # Aude has not decided
    actions.decide_approval(aude_asked, acting_user=aude, approve=True)
    assert request.items.get().state == "in_fulfilment"
    actions.complete_item(request, 1, acting_user=sam)
    made = Entitlement.objects.get(role=erp["payments"])
    assert "allowed by rick" in made.sod_exception and "allowed by aude" in made.sod_exception


def test_an_exception_covers_only_the_rule_it_was_asked_about(erp, make_user):
    # given an exception approved for the suppliers rule
    aude, rita = make_user("aude", Role.AUDITOR), make_user("rita")
    grant(erp["suppliers"], rita, acting_user=erp["owner"], reason="REQ0000001")
    request = order(rita, erp["payments"])
    [exception] = approvals_of(request)
    actions.decide_approval(exception, acting_user=erp["rick"], approve=True)
    # when, before delivery, she gets a role that breaks another rule nobody allowed
    SodRule.objects.create(
        first=erp["reports"], second=erp["payments"], description="Nobody pays and reports",
        mode="approval", approver=aude,
    )  # fmt: skip
    grant(erp["reports"], rita, acting_user=erp["owner"], reason="REQ0000002")
    actions.complete_item(request, 1, acting_user=make_user("sam", Role.RESOLVER))
    # then the grant is refused, naming the rule not allowed
    assert not Entitlement.objects.filter(role=erp["payments"]).exists()
    noted = history_of(ServiceRequest.objects.get(pk=request.pk)).last().changes
    assert "Nobody pays and reports" in noted["items.1.delivered"]["new"]
