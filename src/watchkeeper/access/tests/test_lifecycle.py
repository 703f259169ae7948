"""Joiners, movers and leavers ordered through the catalog: once delivered, a joiner holds the
roles of their job's profile, a mover changes profile (roles requested one by one stay), and a
leaver loses everything on (or after) the last day. Wrong answers are refused at order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from watchkeeper.access import configuration
from watchkeeper.access.actions import expire_due, grant
from watchkeeper.access.models import AccessProfile, AccessRole, Entitlement, SodRule
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests import actions
from watchkeeper.requests.models import ServiceRequest
from watchkeeper.requests.tests.helpers import post


@pytest.fixture
def erp(make_user, make_item):
    # given the ERP's roles, two job profiles, and joiner, mover and leaver catalog items
    alex, olga = make_user("alex", Role.ACCESS_MANAGER), make_user("olga")
    system = create_ci(name="ERP", ci_class="application", acting_user=None)
    roles = {
        name: AccessRole.objects.create(system=system, name=name, owner=olga, max_days=days)
        for name, days in [("Invoice entry", None), ("Supplier master data", None),
                           ("Payment approval", None), ("Finance reports", None),
                           ("Administrator", 30)]
    }  # fmt: skip

    def profile(name: str, *role_names: str) -> AccessProfile:
        return configuration.save_profile(
            None, {"name": name}, roles=[roles[r] for r in role_names], acting_user=alex
        )

    clerk = profile("Accounts payable clerk", "Invoice entry", "Supplier master data",
                    "Finance reports")  # fmt: skip
    treasury = profile("Treasury clerk", "Payment approval", "Finance reports")
    items = {kind: make_item(f"{kind.capitalize()} request", category="People")
             for kind in ("joiner", "mover", "leaver")}  # fmt: skip
    configuration.set_lifecycle_items([(i, k) for k, i in items.items()], acting_user=alex)
    return {"alex": alex, "olga": olga, "roles": roles, "clerk": clerk, "treasury": treasury,
            "items": items, "sam": make_user("sam", Role.RESOLVER)}  # fmt: skip


def deliver(erp, kind, person, **answers):
    """The access manager orders it for ``person``; the desk marks it delivered."""
    line = actions.Line(erp["items"][kind], answers)
    request = actions.order(acting_user=erp["alex"], lines=[line], requested_for=person)
    actions.complete_item(request, 1, acting_user=erp["sam"])
    return ServiceRequest.objects.get(pk=request.pk)


def noted(request) -> str:
    return history_of(request).last().changes["items.1.delivered"]["new"]


def held(person) -> dict[str, Entitlement]:
    active = Entitlement.objects.filter(holder=person, state="active").select_related("role")
    return {e.role.name: e for e in active}


def test_making_an_item_a_lifecycle_item_adds_its_question(erp):
    joiner = erp["items"]["joiner"].variables.get(name="profile")
    assert (joiner.kind, joiner.required) == ("choice", True)
    assert joiner.choices == ["Accounts payable clerk", "Treasury clerk"]
    leaver = erp["items"]["leaver"].variables.get(name="last_day")
    assert (leaver.kind, leaver.required) == ("date", True)
    # a new profile is offered at once
    configuration.save_profile(None, {"name": "Buyer"}, roles=[], acting_user=erp["alex"])
    assert "Buyer" in erp["items"]["mover"].variables.get(name="profile").choices


def test_a_joiner_gets_every_role_of_the_profile(erp, make_user):
    # given Nora holds one of the profile's roles already
    nora = make_user("nora")
    before = grant(erp["roles"]["Finance reports"], nora, acting_user=erp["olga"], reason="x")
    # when her joiner request is delivered
    request = deliver(erp, "joiner", nora, profile="Accounts payable clerk")
    # then she holds the others too, from the profile, citing the request
    now = held(nora)
    assert set(now) == {"Invoice entry", "Supplier master data", "Finance reports"}
    assert now["Finance reports"] == before and before.profile is None
    for name in ("Invoice entry", "Supplier master data"):
        entitlement = now[name]
        assert (entitlement.profile, entitlement.reason) == (erp["clerk"], request.number)
        assert entitlement.granted_by is None and history_of(entitlement).first().channel == "job"
    said = noted(request)
    assert said.startswith("Joiner nora, profile Accounts payable clerk: granted ENT")
    assert "already held: ERP: Finance reports" in said
    assert verify_history() == []


def test_what_the_register_refuses_a_joiner_is_noted_and_the_rest_granted(erp, make_user):
    # given a profile with a time-limited role, and a rule Nora's current access breaks
    nora = make_user("nora")
    roles = erp["roles"]
    admin_profile = configuration.save_profile(
        None, {"name": "ERP admin"}, roles=[roles["Administrator"], roles["Invoice entry"]],
        acting_user=erp["alex"],
    )  # fmt: skip
    SodRule.objects.create(first=roles["Payment approval"], second=roles["Invoice entry"],
                           description="Who enters invoices does not pay them")  # fmt: skip
    grant(roles["Payment approval"], nora, acting_user=erp["olga"], reason="x")
    # when she joins with it
    request = deliver(erp, "joiner", nora, profile=admin_profile.name)
    # then neither is granted, each refusal is said, and the request is complete
    assert set(held(nora)) == {"Payment approval"}
    said = noted(request)
    assert "granted nothing" in said and "30 days at most" in said
    assert "Who enters invoices does not pay them" in said
    assert request.state == "closed_complete"


def test_a_mover_changes_profile_and_keeps_what_was_requested_on_its_own(erp, make_user):
    # given Nora joined as a clerk, and asked for the administrator role herself
    nora = make_user("nora")
    deliver(erp, "joiner", nora, profile="Accounts payable clerk")
    until = timezone.localdate() + dt.timedelta(days=20)
    admin_role = erp["roles"]["Administrator"]
    own = grant(admin_role, nora, acting_user=erp["olga"], reason="REQ1", expires_on=until)
    kept = held(nora)["Finance reports"]
    # when she moves to treasury
    request = deliver(erp, "mover", nora, profile="Treasury clerk")
    # then the clerk's other roles are revoked, treasury's granted, her own request stays
    now = held(nora)
    assert set(now) == {"Finance reports", "Payment approval", "Administrator"}
    assert now["Finance reports"] == kept and now["Administrator"] == own
    assert now["Payment approval"].profile == erp["treasury"]
    gone = Entitlement.objects.filter(holder=nora, state="revoked").select_related("role")
    assert {e.role.name for e in gone} == {"Invoice entry", "Supplier master data"}
    assert all(e.end_reason.startswith(f"Mover {request.number}") for e in gone)
    said = noted(request)
    assert (
        "revoked ENT" in said and "requested one by one, so they stay: ERP: Administrator" in said
    )


def test_a_leaver_on_their_last_day_loses_everything_at_once(erp, make_user):
    nora = make_user("nora")
    deliver(erp, "joiner", nora, profile="Accounts payable clerk")
    request = deliver(erp, "leaver", nora, last_day=timezone.localdate().isoformat())
    assert held(nora) == {}
    ended = Entitlement.objects.filter(holder=nora)
    assert {e.state for e in ended} == {"revoked"} and ended.count() == 3
    assert all(e.ended_by is None and e.end_reason.startswith("Leaver") for e in ended)
    assert noted(request) == "Leaver nora: all 3 active entitlements revoked."


def test_a_future_leaver_keeps_access_through_the_last_day(erp, make_user):
    # given Nora holds roles without an end, and one ending before her last day
    nora = make_user("nora")
    deliver(erp, "joiner", nora, profile="Treasury clerk")
    today = timezone.localdate()
    last_day, sooner = today + dt.timedelta(days=10), today + dt.timedelta(days=5)
    early = grant(erp["roles"]["Administrator"], nora, acting_user=erp["olga"], reason="x",
                  expires_on=sooner)  # fmt: skip
    # when her leaver request is delivered
    request = deliver(erp, "leaver", nora, last_day=last_day.isoformat())
    # then each ends after the last day at the latest; the earlier end stays
    ends = {name: e.expires_on for name, e in held(nora).items()}
    assert ends == {"Payment approval": last_day, "Finance reports": last_day,
                    "Administrator": sooner}  # fmt: skip
    early.refresh_from_db()
    assert early.version == 1
    changed = history_of(held(nora)["Payment approval"]).last()
    assert changed.changes["expires_on"]["new"] == last_day.isoformat()
    assert changed.changes["reason"]["new"].startswith(f"Leaver {request.number}")
    assert "2 entitlements now end after" in noted(request)
    # and the expiry job ends them the day after
    assert expire_due(last_day) == 1  # only the early one
    assert expire_due(last_day + dt.timedelta(days=1)) == 2
    assert held(nora) == {}


def test_wrong_answers_are_refused_at_order(erp, make_user):
    nora = make_user("nora")
    joiner, leaver = erp["items"]["joiner"], erp["items"]["leaver"]

    def order(item, answers):
        body = {"items": [{"item": item.pk, "answers": answers}], "requested_for": "nora"}
        return post(erp["alex"], "/api/v1/requests", body)

    # a profile the form does not offer
    unknown = order(joiner, {"profile": "Astronaut"})
    assert unknown.status_code == 400 and "items.1.answers.profile" in unknown.json()["errors"]
    # a profile no longer in use, though the form still offers it
    AccessProfile.objects.filter(name="Treasury clerk").update(is_active=False)
    retired = order(joiner, {"profile": "Treasury clerk"})
    assert retired.status_code == 400
    assert retired.json()["errors"]["items.1.answers.profile"] == [
        "No access profile in use is named 'Treasury clerk'."
    ]
    # a leaver without a last day, even when the question was made optional
    leaver.variables.filter(name="last_day").update(required=False)
    missing = order(leaver, {})
    assert missing.status_code == 400
    assert missing.json()["errors"]["items.1.answers.last_day"] == ["Give the leaver's last day."]
    assert not ServiceRequest.objects.exists()
    # and a good one goes through
    assert order(joiner, {"profile": "Accounts payable clerk"}).status_code == 201
    with pytest.raises(ValidationError):
        actions.order(acting_user=erp["alex"], lines=[actions.Line(leaver, {})], requested_for=nora)


def test_the_demo_has_the_erp_roles_profiles_and_lifecycle_items(make_user):
    from watchkeeper.access.demo import load_access
    from watchkeeper.access.models import LifecycleItem

    # given an empty database but for its administrator: loading twice makes things once
    admin = make_user("admin", Role.ADMINISTRATOR)
    load_access(admin)
    counts = [AccessRole.objects.count(), SodRule.objects.count(), AccessProfile.objects.count(),
              LifecycleItem.objects.count(), Entitlement.objects.count()]  # fmt: skip
    load_access(admin)
    assert counts == [AccessRole.objects.count(), SodRule.objects.count(),
                      AccessProfile.objects.count(), LifecycleItem.objects.count(),
                      Entitlement.objects.count()]  # fmt: skip
    assert counts[:4] == [5, 1, 2, 3]
    rule = SodRule.objects.get()
    assert (rule.mode, rule.approver) == ("approval", admin)
    clerk = AccessProfile.objects.get(name="Accounts payable clerk")
    assert clerk.roles.count() == 3
    assert sorted(LifecycleItem.objects.values_list("kind", flat=True)) == [
        "joiner", "leaver", "mover",
    ]  # fmt: skip


def test_a_new_starter_joins_the_demo_and_moves_on(make_user):
    from watchkeeper.accounts.models import User
    from watchkeeper.core.demo import load_demo
    from watchkeeper.requests.models import CatalogItem

    # given the demo, and a new service desk agent (the demo offers these items to its staff)
    load_demo("demo password for tests")
    alex, oscar, adam = (User.objects.get(username=n) for n in ("alex", "oscar", "adam"))
    nora = make_user("nora", Role.AGENT)

    def deliver(name: str, answers: dict[str, str]) -> None:
        line = actions.Line(CatalogItem.objects.get(name=name), answers)
        request = actions.order(acting_user=alex, lines=[line], requested_for=nora)
        for asked in request.items.get().approvals.all():  # she has no manager: the owner
            assert asked.approver == oscar
            actions.decide_approval(asked, acting_user=oscar, approve=True)
        actions.complete_item(request, 1, acting_user=adam)

    # when the access manager orders her joiner request, approved and delivered
    deliver("New starter's access", {"profile": "Accounts payable clerk"})
    # then she holds the clerk's ERP roles
    assert set(held(nora)) == {"Invoice entry", "Supplier master data", "Finance reports"}
    # and after her move to treasury, the treasury clerk's
    deliver("Change of job: access", {"profile": "Treasury clerk"})
    assert set(held(nora)) == {"Payment approval", "Finance reports"}
