"""The request and access checks: deliveries and grants without their approval, grants kept
past their end date, review campaigns past due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from watchkeeper.access import reviews
from watchkeeper.access.actions import grant, revoke
from watchkeeper.access.models import AccessProfile, AccessReview, AccessRole, Entitlement
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.requests import actions
from watchkeeper.requests.catalog_admin import replace_approval_steps
from watchkeeper.requests.models import Approval, ApprovalStep, RequestedItem


@pytest.fixture
def people(make_user, make_group):
    bob = make_user("bob")
    fulfiler = make_user("sam", Role.RESOLVER)
    return {
        "bob": bob,
        "rita": make_user("rita", manager=bob),
        "sam": fulfiler,
        "olga": make_user("olga"),
        "alex": make_user("alex", Role.ACCESS_MANAGER),
        "owner": make_user("sophie", Role.SERVICE_OWNER),
        "gina": make_user("gina", Role.RESOLVER),
        "fulfilers": make_group("Fulfilment", members=(fulfiler,)),
    }


def ordered(people, item):
    return actions.order(acting_user=people["rita"], lines=[actions.Line(item, {})])


def delivered(people, item, approve=True):
    request = ordered(people, item)
    if approve:
        for approval in Approval.objects.filter(requested_item__request=request):
            actions.decide_approval(approval, acting_user=approval.approver, approve=True)
    actions.complete_item(request, 1, acting_user=people["sam"])
    return request


def test_requests_delivered_without_their_approval_are_found(make_item, people, deviations):
    # given a laptop the manager approves (level 1), delivered as it should be
    laptop = make_item("Laptop", fulfilment_group=people["fulfilers"])
    people["fulfilers"].manager = people["gina"]
    people["fulfilers"].save()
    ApprovalStep.objects.create(item=laptop, level=1, approver_kind="manager")
    approved = delivered(people, laptop)
    # and one whose approval was never given, yet the item was delivered
    skipped = ordered(people, laptop)
    RequestedItem.objects.filter(request=skipped).update(state="in_fulfilment")
    actions.complete_item(skipped, 1, acting_user=people["sam"])
    # and a mouse, which needs no approval
    free = delivered(people, make_item("Mouse"))
    # when
    found = deviations("requests.fulfilled_without_approval")
    # then only the one delivered without its level 1
    assert [d.label for d in found] == [skipped.number]
    assert found[0].summary == (
        f"{skipped.number}: item 1 (Laptop) delivered with approval level 1 not approved."
    )
    assert found[0].owners == (people["gina"].pk, None)
    assert approved.number != free.number


def test_rule_all_needs_every_approver(make_item, people, make_group, deviations):
    # given a level everyone of a group must approve, and only one of two did
    board = make_group("Board", members=(people["gina"], people["alex"]))
    item = make_item("Server")
    ApprovalStep.objects.create(item=item, level=1, approver_kind="group", group=board, rule="all")
    request = ordered(people, item)
    first = Approval.objects.filter(requested_item__request=request).order_by("pk").first()
    actions.decide_approval(first, acting_user=first.approver, approve=True)
    RequestedItem.objects.filter(request=request).update(state="complete")
    # when
    found = deviations("requests.fulfilled_without_approval")
    # then
    assert [d.label for d in found] == [request.number]


def test_a_policy_added_after_the_order_does_not_count(make_item, people, deviations):
    # given a monitor ordered and delivered without approval, when it needed none
    monitor = make_item("Monitor")
    before = delivered(people, monitor)
    # when its policy asks for the manager from now on, and a later order skips it
    replace_approval_steps(monitor, [{"approver_kind": "manager"}], acting_user=people["owner"])
    after = ordered(people, monitor)
    Approval.objects.filter(requested_item__request=after).delete()
    RequestedItem.objects.filter(request=after).update(state="complete")
    found = deviations("requests.fulfilled_without_approval")
    # then only the later one, which was ordered under the policy
    assert [d.label for d in found] == [after.number]
    assert "without any approval, though its catalog item asks one" in found[0].summary
    assert before.number not in found[0].summary


@pytest.fixture
def erp(people, make_item):
    system = create_ci(name="ERP", ci_class="application", acting_user=None)
    item = make_item("ERP: AP clerk")
    clerk = AccessRole.objects.create(
        system=system, name="AP clerk", owner=people["olga"], catalog_item=item
    )
    payer = AccessRole.objects.create(system=system, name="Payer", owner=people["olga"])
    return {"system": system, "item": item, "clerk": clerk, "payer": payer}


def test_grants_without_approval_are_found(make_user, make_item, people, erp, deviations):
    # given a grant by an access manager with a reason (the approval itself)
    by_hand = grant(erp["payer"], people["bob"], acting_user=people["alex"], reason="CHG42")
    # a grant from a request the role's owner approved
    ApprovalStep.objects.create(item=erp["item"], level=1, approver_kind="owner")
    approved = delivered(people, erp["item"])
    from_request = Entitlement.objects.get(holder=people["rita"])
    # a grant from a request whose approval is still waiting
    sam = make_user("samuel")
    unapproved_request = actions.order(acting_user=sam, lines=[actions.Line(erp["item"], {})])
    unapproved_item = RequestedItem.objects.get(request=unapproved_request)
    unapproved = grant(erp["payer"], sam, acting_user=None, reason=unapproved_request.number,
                       requested_item=unapproved_item)  # fmt: skip
    # a grant by the system with no request, and one with a blank reason
    system = grant(erp["clerk"], people["bob"], acting_user=None, reason="REQ0001234")
    blank = grant(erp["clerk"], people["gina"], acting_user=people["alex"], reason="Because")
    Entitlement.objects.filter(pk=blank.pk).update(reason="  ")
    # a profile's grant whose request asked no approval, and an unapproved one since revoked
    profile = AccessProfile.objects.create(name="Clerks")
    joiner = delivered(people, make_item("Joiner"))
    free_item = RequestedItem.objects.get(request=joiner)
    grant(erp["payer"], people["gina"], acting_user=None, reason="joiner",
          requested_item=free_item, profile=profile)  # fmt: skip
    nobody = grant(erp["clerk"], make_user("nick"), acting_user=None, reason=joiner.number,
                   requested_item=free_item)  # fmt: skip
    ended = grant(erp["payer"], people["olga"], acting_user=None, reason="x")
    revoke(ended, acting_user=people["alex"], reason="Not needed")
    # when
    found = {d.label: d for d in deviations("access.granted_without_approval")}
    # then
    assert sorted(found) == sorted([unapproved.number, system.number, blank.number, nobody.number])
    assert found[nobody.number].summary.endswith(f"by {joiner.number}, which no one approved.")
    assert found[unapproved.number].summary == (
        f"{unapproved.number} (ERP: Payer, held by samuel) was granted by "
        f"{unapproved_request.number} with approval level 1 not approved."
    )
    assert found[system.number].summary.endswith("was granted directly by the system, with no "
                                                 "approver.")  # fmt: skip
    assert found[blank.number].summary.endswith("was granted directly with no reason.")
    assert found[system.number].owners == (people["olga"].pk,)
    assert by_hand.number not in found and from_request.number not in found
    approved.refresh_from_db()
    assert approved.state == "closed_complete"


def test_grants_kept_past_their_end_date_are_found(people, erp, deviations):
    # given grants ending in the future, today, yesterday (still active) and a revoked one
    today = timezone.localdate()
    future = grant(erp["clerk"], people["bob"], acting_user=people["alex"], reason="a",
                   expires_on=today + dt.timedelta(days=5))  # fmt: skip
    ends_today = grant(erp["clerk"], people["gina"], acting_user=people["alex"], reason="b",
                       expires_on=today)  # fmt: skip
    late = grant(erp["payer"], people["bob"], acting_user=people["alex"], reason="c",
                 expires_on=today)  # fmt: skip
    Entitlement.objects.filter(pk=late.pk).update(expires_on=today - dt.timedelta(days=1))
    ended = grant(erp["payer"], people["gina"], acting_user=people["alex"], reason="d")
    revoke(ended, acting_user=people["alex"], reason="gone")
    Entitlement.objects.filter(pk=ended.pk).update(expires_on=today - dt.timedelta(days=3))
    # when
    found = deviations("access.kept_past_end_date")
    # then
    assert [d.label for d in found] == [late.number]
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert found[0].summary == (
        f"{late.number} (ERP: Payer, held by bob) ended on {yesterday} and is still active."
    )
    assert future.number != ends_today.number


def test_review_campaigns_open_past_their_due_date_are_found(people, erp, deviations):
    # given an open campaign due in the future, one past due and one closed past due
    grant(erp["clerk"], people["bob"], acting_user=people["alex"], reason="a")
    due = timezone.localdate() + dt.timedelta(days=7)
    on_time = reviews.start("On time", [erp["system"]], due, people["alex"])
    late = reviews.start("Late", [erp["system"]], due, people["alex"])
    closed = reviews.start("Closed", [erp["system"]], due, people["alex"])
    reviews.close(closed, people["alex"])
    past = timezone.localdate() - dt.timedelta(days=2)
    AccessReview.objects.filter(pk__in=[late.pk, closed.pk]).update(due_on=past)
    # when
    found = deviations("access.review_overdue")
    # then
    assert [d.label for d in found] == [late.number]
    assert found[0].summary == (
        f"{late.number} (Late) was due on {past.isoformat()} and is still open."
    )
    assert found[0].owners == (people["alex"].pk,)
    assert on_time.number not in found[0].summary
