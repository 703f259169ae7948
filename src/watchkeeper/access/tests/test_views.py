"""The register's pages: who may open the register, an entitlement, the roles and "My access";
the register's filters, marks and pages; the Grant and Revoke forms with their errors beside
their fields; and an entitlement's history."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from watchkeeper.access import views
from watchkeeper.access.actions import expire_due, grant, revoke
from watchkeeper.access.models import AccessRole, Entitlement
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.core.history import history_of
from watchkeeper.requests.tests.helpers import client_for

NUMBER = re.compile(r"ENT\d+")


@pytest.fixture
def erp(make_user, make_item):
    olga = make_user("olga")  # owns the ERP's roles, holds no staff role
    oscar = make_user("oscar")  # owns the CRM's role
    erp_system = create_ci(name="ERP", ci_class="application", acting_user=None)
    crm_system = create_ci(name="CRM", ci_class="application", acting_user=None)
    item = make_item("ERP: AP clerk", category="Access")
    clerk = AccessRole.objects.create(
        system=erp_system, name="AP clerk", owner=olga, catalog_item=item
    )
    admin_role = AccessRole.objects.create(system=erp_system, name="Admin", owner=olga, max_days=30)
    sales = AccessRole.objects.create(system=crm_system, name="Sales", owner=oscar)
    return {"olga": olga, "oscar": oscar, "clerk": clerk, "admin": admin_role, "sales": sales,
            "erp": erp_system, "crm": crm_system, "item": item}  # fmt: skip


def numbers(response) -> set[str]:
    return set(NUMBER.findall(response.content.decode()))


def beside(response, field: str, message: str) -> bool:
    """Whether ``message`` is shown in the form field ``field``'s own block (not elsewhere)."""
    blocks = response.content.decode().split('<div class="field')
    mine = [block for block in blocks if f'for="id_{field}"' in block]
    return bool(mine) and "field--invalid" in mine[0] and message in html.unescape(mine[0])


def test_the_register_is_for_readers_and_role_owners(erp, make_user):
    # given grants of the ERP (Olga's) and of the CRM (Oscar's)
    rita, sam = make_user("rita"), make_user("sam")
    clerk = grant(erp["clerk"], rita, acting_user=erp["olga"], reason="REQ0001001")
    sales = grant(erp["sales"], sam, acting_user=erp["oscar"], reason="REQ0001002")
    # then readers see every grant, with its facts
    for role in (Role.AGENT, Role.AUDITOR, Role.SERVICE_OWNER, Role.ACCESS_MANAGER):
        page = client_for(make_user(None, role)).get("/access/")
        assert page.status_code == 200, role
        assert numbers(page) == {clerk.number, sales.number}, role
    page = client_for(make_user("aude", Role.AUDITOR)).get("/access/")
    assert b"REQ0001001" in page.content and b"AP clerk" in page.content
    # and an owner only the grants of their roles; a holder and anyone else get a 403
    assert numbers(client_for(erp["olga"]).get("/access/")) == {clerk.number}
    assert numbers(client_for(erp["oscar"]).get("/access/")) == {sales.number}
    assert client_for(rita).get("/access/").status_code == 403
    assert client_for(make_user("sue")).get("/access/").status_code == 403
    assert client_for(rita).get("/access/roles/").status_code == 403
    anonymous = client_for(rita)
    anonymous.logout()
    assert anonymous.get("/access/")["Location"].startswith("/login/")


def test_the_register_filters_by_holder_role_system_and_state(erp, make_user):
    rita, sam = make_user("rita"), make_user("sam")
    by = erp["olga"]
    rita_clerk = grant(erp["clerk"], rita, acting_user=by, reason="r1")
    sam_clerk = grant(erp["clerk"], sam, acting_user=by, reason="r2")
    sam_sales = grant(erp["sales"], sam, acting_user=erp["oscar"], reason="r3")
    today = timezone.localdate()
    rita_admin = grant(erp["admin"], rita, acting_user=by, reason="r4", expires_on=today)
    revoke(sam_clerk, acting_user=by, reason="Moved")
    expire_due(today + dt.timedelta(days=1))
    reader = client_for(make_user("aude", Role.AUDITOR))

    def shown(query: str) -> set[str]:
        response = reader.get(f"/access/?{query}")
        assert response.status_code == 200
        return numbers(response)

    assert shown("") == {rita_clerk.number, sam_sales.number}  # active by default
    assert shown("state=revoked") == {sam_clerk.number}
    assert shown("state=expired") == {rita_admin.number}
    assert shown("state=all") == {rita_clerk.number, sam_clerk.number, sam_sales.number,
                                  rita_admin.number}  # fmt: skip
    assert shown("state=all&holder=rita") == {rita_clerk.number, rita_admin.number}
    assert shown(f"state=all&role={erp['clerk'].pk}") == {rita_clerk.number, sam_clerk.number}
    assert shown(f"system={erp['crm'].number}") == {sam_sales.number}
    # an unknown filter value is named, and filters nothing
    bad = reader.get("/access/?state=lost&role=999999")
    assert bad.status_code == 200 and beside(bad, "state", "Select a valid choice")
    assert numbers(bad) == {rita_clerk.number, sam_sales.number}


def test_the_register_marks_grants_that_end_soon_or_are_overdue_and_pages(
    erp, make_user, monkeypatch
):
    today = timezone.localdate()
    holders = [make_user(f"user{n}") for n in range(3)]
    soon = grant(erp["clerk"], holders[0], acting_user=erp["olga"], reason="x",
                 expires_on=today + dt.timedelta(days=14))  # fmt: skip
    later = grant(erp["clerk"], holders[1], acting_user=erp["olga"], reason="x",
                  expires_on=today + dt.timedelta(days=15))  # fmt: skip
    overdue = grant(erp["clerk"], holders[2], acting_user=erp["olga"], reason="x",
                    expires_on=today)  # fmt: skip
    Entitlement.objects.filter(pk=overdue.pk).update(expires_on=today - dt.timedelta(days=1))
    page = client_for(erp["olga"]).get("/access/").content.decode()
    chunks = page.split('data-testid="entitlement-row"')[1:]
    rows = {NUMBER.search(row).group(): row for row in chunks}
    assert "Ends within 14 days" in rows[soon.number]
    assert "Overdue" in rows[overdue.number]
    assert "entitlement-mark" not in rows[later.number]
    # when the register has more rows than a page holds
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client_for(erp["olga"]).get(f"/access/?role={erp['clerk'].pk}")
    second = client_for(erp["olga"]).get(f"/access/?role={erp['clerk'].pk}&page=2")
    assert len(numbers(first)) == 2 and len(numbers(second)) == 1
    assert numbers(first) | numbers(second) == {soon.number, later.number, overdue.number}
    assert b"Page 1 of 2 (3 entitlements)" in first.content
    assert f"role={erp['clerk'].pk}&amp;page=2".encode() in first.content


def test_an_entitlement_page_shows_its_facts_and_history_to_who_may_see_it(erp, make_user):
    rita = make_user("rita")
    made = grant(erp["clerk"], rita, acting_user=erp["olga"], reason="REQ0001001",
                 expires_on=timezone.localdate() + dt.timedelta(days=10))  # fmt: skip
    revoke(made, acting_user=erp["olga"], reason="Moved to sales")
    url = f"/access/entitlements/{made.number}/"
    for viewer in (rita, erp["olga"], make_user("adam", Role.AGENT)):
        page = client_for(viewer).get(url)
        assert page.status_code == 200, viewer
    text = html.unescape(page.content.decode())
    assert "Moved to sales" in text and "REQ0001001" in text
    assert 'id="revoke-heading"' not in text  # it has ended
    history = text.split('id="history-heading"')[1]
    assert "<del>Active</del> → <ins>Revoked</ins>" in history
    assert "Created" in history and "<ins>ERP: AP clerk</ins>" in history
    assert client_for(make_user("sue")).get(url).status_code == 404
    assert client_for(erp["oscar"]).get(url).status_code == 404
    assert client_for(rita).get(f"/access/entitlements/{made.number.lower()}/").status_code == 200


def test_the_revoke_form_is_for_who_may_work_the_role_and_names_its_errors(erp, make_user):
    rita = make_user("rita")
    made = grant(erp["clerk"], rita, acting_user=erp["olga"], reason="REQ0001001")
    url = f"/access/entitlements/{made.number}/"
    # the holder and a reader see no Revoke form, and may not post one
    assert b"Revoke " + made.number.encode() not in client_for(rita).get(url).content
    agent = client_for(make_user("adam", Role.AGENT))
    assert b"Revoke " + made.number.encode() not in agent.get(url).content
    assert agent.post(url, {"reason": "x", "version": "1"}).status_code == 403
    assert client_for(rita).post(url, {"reason": "x", "version": "1"}).status_code == 403
    # the owner sees it; without a reason, the error is beside the field
    olga = client_for(erp["olga"])
    assert b"Revoke " + made.number.encode() in olga.get(url).content
    empty = olga.post(url, {"reason": "", "version": "1"})
    assert empty.status_code == 400 and beside(empty, "reason", "This field is required.")
    blank = olga.post(url, {"reason": "   ", "version": "1"})
    assert blank.status_code == 400 and beside(blank, "reason", "This field is required.")
    # a stale version is refused, and says so
    stale = olga.post(url, {"reason": "Moved", "version": "7"})
    assert stale.status_code == 409 and b"Reload the page" in stale.content
    assert Entitlement.objects.get().state == "active"
    # then the owner revokes it, and it is recorded
    done = olga.post(url, {"reason": "Moved to sales", "version": "1"})
    assert done.status_code == 302 and done["Location"] == url
    made.refresh_from_db()
    assert (made.state, made.ended_by) == ("revoked", erp["olga"])
    assert made.end_reason == "Moved to sales"
    assert history_of(made).last().channel == "web"
    again = olga.post(url, {"reason": "Twice", "version": "2"})
    assert again.status_code == 400 and b"has already ended" in again.content
    # an access manager may revoke any role's grants
    sales = grant(erp["sales"], rita, acting_user=erp["oscar"], reason="x")
    manager = client_for(make_user("alex", Role.ACCESS_MANAGER))
    revoked = manager.post(f"/access/entitlements/{sales.number}/", {"reason": "Audit"})
    assert revoked.status_code == 302


def test_the_roles_page_lists_roles_and_their_holders(erp, make_user):
    grant(erp["clerk"], make_user("rita"), acting_user=erp["olga"], reason="x")
    grant(erp["clerk"], make_user("sam"), acting_user=erp["olga"], reason="x")
    ended = grant(erp["admin"], make_user("tom"), acting_user=erp["olga"], reason="x",
                  expires_on=timezone.localdate())  # fmt: skip
    revoke(ended, acting_user=erp["olga"], reason="done")
    page = client_for(make_user("aude", Role.AUDITOR)).get("/access/roles/")
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "2 active holders of ERP: AP clerk" in text
    assert "0 active holders of ERP: Admin" in text and "30 days" in text
    assert f'href="/portal/catalog/{erp["item"].pk}/"' in text and "CRM" in text
    assert "Grant a role" not in text  # an auditor reads, changes nothing
    owners = html.unescape(client_for(erp["olga"]).get("/access/roles/").content.decode())
    assert "Grant a role" in owners and "Sales" not in owners  # only her roles


def test_the_grant_form_names_each_problem_beside_its_field(erp, make_user):
    rita = make_user("rita")
    olga = client_for(erp["olga"])
    today = timezone.localdate()

    def grant_form(**fields: str):
        body = {"role": str(erp["admin"].pk), "holder": "rita", "reason": "REQ0001001",
                "until": (today + dt.timedelta(days=5)).isoformat(), **fields}  # fmt: skip
        return olga.post("/access/roles/", body)

    ghost = grant_form(holder="ghost")
    assert ghost.status_code == 400 and beside(ghost, "holder", "No user named 'ghost'.")
    too_long = grant_form(until=(today + dt.timedelta(days=31)).isoformat())
    assert too_long.status_code == 400 and beside(too_long, "until", "30 days at most")
    no_reason = grant_form(reason="")
    assert no_reason.status_code == 400 and beside(no_reason, "reason", "This field is required.")
    not_hers = grant_form(role=str(erp["sales"].pk))
    assert not_hers.status_code == 400 and beside(not_hers, "role", "Select a valid choice")
    assert not Entitlement.objects.exists()
    # then a good one is written, and opens its page
    done = grant_form()
    made = Entitlement.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/access/entitlements/{made.number}/"
    assert (made.holder, made.granted_by, made.expires_on) == (
        rita, erp["olga"], today + dt.timedelta(days=5),
    )  # fmt: skip
    twice = grant_form()
    assert twice.status_code == 400 and beside(twice, "holder", "rita already holds ERP: Admin.")
    # readers who may not grant get a 403
    agent = client_for(make_user("adam", Role.AGENT))
    body = {"role": str(erp["clerk"].pk), "holder": "rita", "reason": "x"}
    assert agent.post("/access/roles/", body).status_code == 403
    manager = client_for(make_user("alex", Role.ACCESS_MANAGER))
    assert manager.post("/access/roles/", {**body, "role": str(erp["sales"].pk)}).status_code == 302


def test_my_access_shows_what_one_holds_and_what_ended(erp, make_user):
    rita = make_user("rita")
    today = timezone.localdate()
    held = grant(erp["clerk"], rita, acting_user=erp["olga"], reason="REQ0001001",
                 expires_on=today + dt.timedelta(days=40))  # fmt: skip
    gone = grant(erp["sales"], rita, acting_user=erp["oscar"], reason="x")
    revoke(gone, acting_user=erp["oscar"], reason="Left the team")
    grant(erp["clerk"], make_user("sam"), acting_user=erp["olga"], reason="x")
    page = client_for(rita).get("/portal/access/")
    assert page.status_code == 200
    text = page.content.decode()
    active, ended = text.split('id="ended-heading"')
    assert held.number in active and (today + dt.timedelta(days=40)).isoformat() in active
    assert gone.number in ended and "Left the team" in ended and gone.number not in active
    assert numbers(page) == {held.number, gone.number}  # nobody else's
    assert 'href="/portal/catalog/"' in text and "Request access" in text
    assert "Grants of roles you own" not in text
    owners = client_for(erp["olga"]).get("/portal/access/").content.decode()
    assert "Grants of roles you own" in owners and "You hold no access roles." in owners
    # and the portal's request pages lead to it
    assert b'href="/portal/access/"' in client_for(rita).get("/portal/requests/").content


def test_the_home_dashboards_of_register_readers_lead_to_the_register(make_user):
    for role in (Role.AGENT, Role.AUDITOR, Role.SERVICE_OWNER, Role.ACCESS_MANAGER):
        home = client_for(make_user(None, role)).get("/")
        assert b'href="/access/"' in home.content, role
    assert b'href="/access/"' not in client_for(make_user("rita")).get("/").content
    incident_manager = client_for(make_user(None, Role.INCIDENT_MANAGER)).get("/")
    assert b'href="/access/"' not in incident_manager.content
