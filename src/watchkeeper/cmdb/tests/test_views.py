"""The CMDB pages: list, item page with relations and impact, relation editor, create and edit,
the service map, the impact on the incident page, and who may do what."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb import actions
from watchkeeper.cmdb.choices import CiClass, CiStatus, RelationType
from watchkeeper.cmdb.impact import analyse
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.views import items, maps
from watchkeeper.cmdb.views.impact import linked_impact
from watchkeeper.core.demo import load_demo
from watchkeeper.core.history import history_of
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Incident

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
Make = Callable[..., Any]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def owner(make_user: Make) -> User:
    return make_user("oscar", Role.SERVICE_OWNER, first_name="Oscar", last_name="Owner")


@pytest.fixture
def agent(make_user: Make) -> User:
    return make_user("adam", Role.AGENT, first_name="Adam")


@pytest.fixture
def stack(make_ci: Make, relate: Make, make_user: Make) -> dict[str, ConfigurationItem]:
    """E-mail depends on mail-app, which runs on srv-01, which is hosted on hv-01."""
    items = {
        "mail": make_ci("E-mail", CiClass.BUSINESS_SERVICE, attributes={"user_count": 800}),
        "app": make_ci("mail-app", CiClass.APPLICATION),
        "srv": make_ci("srv-01", CiClass.SERVER, attributes={"kind": "virtual", "cpu_count": 4}),
        "hv": make_ci("hv-01", CiClass.SERVER),
    }
    relate(items["mail"], RelationType.DEPENDS_ON, items["app"])
    relate(items["app"], RelationType.RUNS_ON, items["srv"])
    relate(items["srv"], RelationType.HOSTED_ON, items["hv"])
    rita = make_user("rita", first_name="Rita", last_name="Requester")
    actions.set_subscribers(items["mail"], [rita], acting_user=None)
    return items


# --- who may do what ---------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in_and_requesters_are_refused(make_user, stack):
    # given a requester and an anonymous visitor
    requester = logged_in(make_user("req", Role.REQUESTER))
    number = stack["srv"].number
    pages = ["/cmdb/", "/cmdb/new/", f"/cmdb/{number}/", f"/cmdb/{number}/edit/",
             f"/cmdb/{number}/map/", f"/cmdb/{number}/map.svg", "/cmdb/suggest/?q=srv"]  # fmt: skip

    # then every page sends the visitor to log in and refuses the requester
    for page in pages:
        assert Client().get(page).status_code == 302, page
        assert requester.get(page).status_code == 403, page
    posts = [f"/cmdb/{number}/relations/", f"/cmdb/{number}/relations/1/delete/"]
    for page in posts:
        assert requester.post(page, {}).status_code == 403, page


def test_an_agent_reads_but_changes_nothing(agent, stack):
    # given an agent
    client = logged_in(agent)
    srv = stack["srv"]
    relation = Relation.objects.get(source=srv)

    # when they read the list and the item, then try to change it
    listing, page = client.get("/cmdb/"), client.get(f"/cmdb/{srv.number}/")
    create, edit = client.get("/cmdb/new/"), client.get(f"/cmdb/{srv.number}/edit/")
    add = client.post(f"/cmdb/{srv.number}/relations/", {"type": "runs_on", "other": "hv-01"})
    remove = client.post(f"/cmdb/{srv.number}/relations/{relation.pk}/delete/")

    # then they read both pages without edit controls, and every change is refused
    assert listing.status_code == page.status_code == 200
    assert "New item" not in text_of(listing) and "Add a relation" not in text_of(page)
    assert 'href="/cmdb/import/"' not in text_of(listing)
    assert f"/cmdb/{srv.number}/edit/" not in text_of(page)
    assert (create.status_code, edit.status_code, add.status_code) == (403, 403, 403)
    assert remove.status_code == 403 and Relation.objects.filter(pk=relation.pk).exists()


#: Who may open which page, written out from cmdb/permissions.py's GRANTS.
MANAGERS = {Role.SERVICE_OWNER, Role.CHANGE_MANAGER, Role.ADMINISTRATOR}
READ_PAGES = ["/cmdb/", "/cmdb/{n}/", "/cmdb/{n}/map/", "/cmdb/{n}/map.svg", "/cmdb/suggest/?q=s"]
MANAGE_PAGES = ["/cmdb/new/", "/cmdb/{n}/edit/"]


@pytest.mark.parametrize("role", sorted(Role.values))
def test_the_role_by_page_matrix(make_user, make_ci, role):
    # given a user of one role and an item
    client = logged_in(make_user(f"user-{role}", role))
    number = make_ci("srv-01").number

    # then staff read every page, managers also open the forms, the others are refused
    can_read, can_manage = role != Role.REQUESTER, role in MANAGERS
    for page in READ_PAGES:
        assert client.get(page.format(n=number)).status_code == (200 if can_read else 403), page
    for page in MANAGE_PAGES:
        assert client.get(page.format(n=number)).status_code == (200 if can_manage else 403), page


def test_the_cmdb_is_in_the_navigation_of_staff_only(agent, make_user):
    # given an agent and a requester
    requester = make_user("req", Role.REQUESTER)

    # then the agent's navigation links the CMDB, the requester's does not
    assert 'href="/cmdb/">CMDB</a>' in text_of(logged_in(agent).get("/"))
    assert 'href="/cmdb/"' not in text_of(logged_in(requester).get("/"))


# --- the list -----------------------------------------------------------------------------------


def test_the_list_filters_searches_and_sorts(agent, make_ci, make_group):
    # given items of several classes, statuses and groups
    network = make_group("Network")
    make_ci("core-sw-01", CiClass.NETWORK_DEVICE, support_group=network, criticality="critical")
    make_ci("web-01", CiClass.SERVER, hostname="web-01.example.org", criticality="low")
    make_ci("web-02", CiClass.SERVER, status=CiStatus.PLANNED, environment="test")
    make_ci("Payroll", CiClass.BUSINESS_SERVICE, criticality="high")
    client = logged_in(agent)

    def names(query: str) -> list[str]:
        page = text_of(client.get(f"/cmdb/?{query}"))
        return re.findall(r'data-label="Name"><a href="/cmdb/CI\d+/">([^<]+)</a>', page)

    # then each filter narrows the list, search finds by the words of the name, sort orders
    assert names("") == ["core-sw-01", "Payroll", "web-01", "web-02"]
    assert names("ci_class=server") == ["web-01", "web-02"]
    assert names("status=planned") == ["web-02"]
    assert names("environment=test") == ["web-02"]
    assert names("criticality=critical") == ["core-sw-01"]
    assert names(f"support_group={network.pk}") == ["core-sw-01"]
    assert names("q=web") == ["web-01", "web-02"]
    assert names("q=web&sort=-name") == ["web-02", "web-01"]
    assert names("sort=-criticality")[:2] == ["core-sw-01", "Payroll"]
    assert "No configuration items with these filters" in text_of(client.get("/cmdb/?q=zzz"))


def test_the_list_pages_and_links_new_import_and_backups_for_managers(owner, make_ci, monkeypatch):
    # given three items and a page size of two
    monkeypatch.setattr(items, "PAGE_SIZE", 2)
    for name in ("a", "b", "c"):
        make_ci(name)
    client = logged_in(owner)

    # when the owner opens the list and its second page
    first, second = (
        client.get("/cmdb/?ci_class=server"),
        client.get("/cmdb/?ci_class=server&page=2"),
    )

    # then the pages keep the filter, and the owner may create, import and see backups
    assert "Page 1 of 2 (3 items)" in text_of(first)
    assert 'href="?ci_class=server&amp;page=2"' in text_of(first)
    assert ">c</a>" in text_of(second)
    assert 'href="/cmdb/new/"' in text_of(first)
    assert 'href="/cmdb/import/"' in text_of(first)
    assert 'href="/cmdb/backups/"' in text_of(first)


# --- the item page ------------------------------------------------------------------------------


def test_the_item_page_shows_relations_both_ways_and_the_impact(agent, stack):
    # given a server that mail-app runs on, hosted on hv-01, and an open incident about it
    srv = stack["srv"]
    caller = User.objects.get(username="rita")
    incident = create_incident(caller=caller, short_description="srv-01 slow", acting_user=agent,
                               channel="phone", configuration_item=srv)  # fmt: skip

    # when the agent opens the server's page
    page = text_of(logged_in(agent).get(f"/cmdb/{srv.number}/"))

    # then it reads its relations from itself: what it is hosted on, and what runs on it
    hv, app, mail = stack["hv"], stack["app"], stack["mail"]
    assert f'srv-01 hosted on <a href="/cmdb/{hv.number}/">hv-01</a>' in page
    assert f'srv-01 runs <a href="/cmdb/{app.number}/">mail-app</a>' in page
    # and if it fails: E-mail, reached through mail-app, with its subscriber and estimate
    assert f'<a href="/cmdb/{mail.number}/" class="impact__service">E-mail</a>' in page
    assert (
        "E-mail depends on" in page
        and f'<a href="/cmdb/{app.number}/">mail-app</a>, which runs on' in page
    )
    assert "1 subscribed: Rita Requester" in page and "About 800 users" in page
    assert "2: 1 application, 1 business service" in page
    # and its open incident, its attributes, its history, and a link to its map
    assert f'href="/desk/incidents/{incident.number}/"' in page
    assert "<dt>CPUs</dt><dd>4</dd>" in page
    assert f"Relation: <ins>hosted on {hv.number} hv-01</ins>" in page  # as the source
    assert page.count("stream__item--history") == 2  # created, and that relation added
    assert f'href="/cmdb/{srv.number}/map/"' in page
    assert not INLINE_SCRIPT.search(page) and not INLINE_STYLE.search(page)


def test_names_are_escaped_everywhere(owner, make_ci, relate):
    # given an item whose name is markup, related to another
    evil = make_ci('<img src=x onerror="alert(1)">', CiClass.APPLICATION)
    service = make_ci("Svc", CiClass.BUSINESS_SERVICE)
    relate(service, RelationType.DEPENDS_ON, evil)
    client = logged_in(owner)

    # when its page, its map, the service's page and the list are shown
    pages = [client.get(f"/cmdb/{evil.number}/"), client.get(f"/cmdb/{evil.number}/map/"),
             client.get(f"/cmdb/{service.number}/map/"), client.get("/cmdb/"),
             client.get(f"/cmdb/{service.number}/map.svg")]  # fmt: skip

    # then the markup is text on each
    for response in pages:
        assert response.status_code == 200
        assert "<img src=x" not in text_of(response)
        assert "&lt;img src=x" in text_of(response)


# --- the relation editor ------------------------------------------------------------------------


def test_a_service_owner_adds_relations_both_ways_and_removes_one_with_history(owner, make_ci):
    # given a server, an application and a SAN
    srv, app = make_ci("srv-01", CiClass.SERVER), make_ci("mail-app", CiClass.APPLICATION)
    san = make_ci("san-01", CiClass.STORAGE)
    client = logged_in(owner)
    url = f"/cmdb/{srv.number}/relations/"

    # when they relate the server to the SAN by name, and the app to the server by number
    by_name = client.post(url, {"type": "depends_on", "direction": "source", "other": "san-01"})
    by_number = client.post(url, {"type": "runs_on", "direction": "target",
                                  "other": f"{app.number} mail-app"})  # fmt: skip

    # then both exist, each recorded in its source's history, and the page says so
    assert by_name.status_code == by_number.status_code == 302
    first = Relation.objects.get(source=srv, target=san, type="depends_on")
    assert Relation.objects.filter(source=app, target=srv, type="runs_on").exists()
    assert history_of(srv).last().action == "relation added"
    assert history_of(app).last().changes["relation"]["new"].startswith("runs on")
    page = text_of(client.get(by_name["Location"]))
    assert "srv-01 depends on" in page and "srv-01 runs <a" in page

    # when they remove the first
    removed = client.post(f"/cmdb/{srv.number}/relations/{first.pk}/delete/")

    # then it is gone, and the history says which relation was removed and by whom
    assert removed.status_code == 302
    assert not Relation.objects.filter(pk=first.pk).exists()
    entry = history_of(srv).last()
    assert (entry.action, entry.actor_id) == ("relation removed", owner.pk)
    assert "san-01" in entry.changes["relation"]["old"]


def test_a_relation_to_an_unknown_or_the_same_item_is_refused_beside_the_field(owner, make_ci):
    # given a server
    srv = make_ci("srv-01", CiClass.SERVER)
    client = logged_in(owner)
    url = f"/cmdb/{srv.number}/relations/"

    # when the other item is unknown, then the item itself
    unknown = client.post(url, {"type": "runs_on", "direction": "source", "other": "nothing"})
    itself = client.post(url, {"type": "runs_on", "direction": "source", "other": srv.number})

    # then both are refused with the reason beside the field, and the editor open
    assert unknown.status_code == itself.status_code == 400
    assert "No configuration item is named" in text_of(unknown)
    assert "cannot be related to itself" in text_of(itself)
    assert '<details class="action" open>' in text_of(itself)
    assert not Relation.objects.exists()


def test_a_relation_of_another_item_cannot_be_removed_through_this_one(owner, make_ci, relate):
    # given two unrelated pairs
    a, b, c = make_ci("a"), make_ci("b"), make_ci("c")
    relation = relate(a, RelationType.DEPENDS_ON, b)

    # when the relation is removed through c's page
    response = logged_in(owner).post(f"/cmdb/{c.number}/relations/{relation.pk}/delete/")

    # then nothing is found, nothing removed
    assert response.status_code == 404
    assert Relation.objects.filter(pk=relation.pk).exists()


def test_a_busy_item_lists_some_relations_and_counts_the_rest(agent, make_ci, relate, monkeypatch):
    # given a switch three servers connect to, and a page that lists two relations a direction
    monkeypatch.setattr(items, "RELATIONS_SHOWN", 2)
    switch = make_ci("core-sw-01", CiClass.NETWORK_DEVICE)
    for name in ("a", "b", "c"):
        relate(make_ci(name), RelationType.CONNECTS_TO, switch)

    # when its page is shown
    page = text_of(logged_in(agent).get(f"/cmdb/{switch.number}/"))

    # then two are listed and one is counted
    assert page.count("core-sw-01 is connected to by") == 2
    assert "… and 1 more (the API lists them all)." in page


def test_suggestions_find_items_by_number_or_words(agent, make_ci):
    # given a few items
    srv = make_ci("srv-01", CiClass.SERVER)
    make_ci("Payroll", CiClass.BUSINESS_SERVICE)
    client = logged_in(agent)

    # then typing words or the start of a number suggests them, as datalist options
    by_words = text_of(client.get("/cmdb/suggest/", {"other": "srv"}))
    by_number = text_of(client.get("/cmdb/suggest/", {"other": srv.number[:5]}))
    assert by_words.startswith('<datalist id="ci-options">')
    assert f'<option value="{srv.number} srv-01">Server</option>' in by_words
    assert "Payroll" not in by_words and "srv-01" in by_number and "Payroll" in by_number
    assert "<option" not in text_of(client.get("/cmdb/suggest/", {"other": ""}))


# --- create and edit ----------------------------------------------------------------------------


def test_a_service_owner_creates_a_server_with_its_attributes(owner, make_group):
    # given a support group
    servers = make_group("Servers")
    client = logged_in(owner)

    # when the owner fills the form of a server
    response = client.post("/cmdb/new/", {
        "name": "web-01", "ci_class": "server", "status": "in_service",
        "environment": "production", "criticality": "high", "owner": "oscar",
        "support_group": servers.pk, "hostname": "WEB-01.example.org", "ip_address": "10.0.0.5",
        "attr_kind": "virtual", "attr_cpu_count": "4", "attr_os": "",
    })  # fmt: skip

    # then the item exists with its typed attributes, and the browser goes to its page
    ci = ConfigurationItem.objects.get(name="web-01")
    assert response["Location"] == f"/cmdb/{ci.number}/"
    assert ci.attributes == {"kind": "virtual", "cpu_count": 4}
    assert (ci.owner, ci.support_group, ci.hostname) == (owner, servers, "web-01.example.org")
    assert history_of(ci).get().actor == owner


def test_choosing_another_class_shows_its_attributes_and_saves_nothing(owner):
    # given the new-item form
    client = logged_in(owner)
    first = text_of(client.get("/cmdb/new/?ci_class=server"))
    assert 'name="attr_cpu_count"' in first and 'hx-post="/cmdb/new/"' in first

    # when the class is changed to "database" (htmx posts the form with refresh=1)
    typed = {"name": "orders-db", "ci_class": "database", "refresh": "1"}
    response = client.post("/cmdb/new/", typed, headers={"HX-Request": "true"})

    # then the database's attributes are offered, what was typed is kept, and nothing saved
    page = text_of(response)
    assert response.status_code == 200
    assert 'id="ci-attributes"' in page and 'name="attr_engine"' in page
    assert 'name="attr_cpu_count"' not in page and 'value="orders-db"' in page
    assert "errorlist" not in page
    assert not ConfigurationItem.objects.exists()


def test_an_attribute_error_of_the_action_is_shown_beside_its_field(owner):
    # given a backup job whose schedule is not a cron expression
    data = {"name": "nightly", "ci_class": "backup_job", "status": "in_service",
            "environment": "production", "criticality": "medium",
            "attr_schedule": "every night"}  # fmt: skip

    # when it is created
    response = logged_in(owner).post("/cmdb/new/", data)

    # then the schedule field carries the action's message, and nothing is saved
    assert response.status_code == 400
    page = text_of(response)
    field = page[page.index('<label for="id_attr_schedule">') :]
    field = field[: field.index('name="attr_schedule"')]
    assert 'class="errorlist"' in field and "Schedule" in field
    assert not ConfigurationItem.objects.exists()


def test_a_duplicate_name_is_refused_at_the_top_of_the_form(owner, make_ci):
    # given a server web-01
    make_ci("web-01", CiClass.SERVER)
    data = {"name": "web-01", "ci_class": "server", "status": "in_service",
            "environment": "production", "criticality": "medium"}  # fmt: skip

    # when another server gets that name
    response = logged_in(owner).post("/cmdb/new/", data)

    # then the form says so
    assert response.status_code == 400
    assert "already exists" in text_of(response)
    assert ConfigurationItem.objects.count() == 1


def test_editing_changes_the_item_and_records_it(owner, make_ci):
    # given a server
    srv = make_ci("srv-01", CiClass.SERVER, attributes={"cpu_count": 2})
    client = logged_in(owner)
    form = text_of(client.get(f"/cmdb/{srv.number}/edit/"))
    assert 'name="version" value="1"' in form and 'value="2"' in form

    # when the owner puts it into maintenance with more CPUs
    response = client.post(f"/cmdb/{srv.number}/edit/", {
        "name": "srv-01", "ci_class": "server", "status": "maintenance",
        "environment": "production", "criticality": "medium", "attr_cpu_count": "8",
        "version": "1",
    })  # fmt: skip

    # then it is saved with its new version, and the history names both changes
    assert response.status_code == 302
    srv.refresh_from_db()
    assert (srv.status, srv.attributes, srv.version) == ("maintenance", {"cpu_count": 8}, 2)
    assert set(history_of(srv).last().changes) == {"status", "attributes"}
    page = text_of(client.get(f"/cmdb/{srv.number}/"))
    assert "<del>In service</del> → <ins>In maintenance</ins>" in page
    assert "<del>cpu_count: 2</del> → <ins>cpu_count: 8</ins>" in page


def test_an_edit_against_an_old_version_is_refused_with_a_clear_conflict(owner, make_ci):
    # given a server someone changed after the owner opened the form (version 1)
    srv = make_ci("srv-01", CiClass.SERVER)
    actions.update_ci(srv, {"description": "theirs"}, acting_user=None)

    # when the owner saves their change against version 1
    response = logged_in(owner).post(f"/cmdb/{srv.number}/edit/", {
        "name": "srv-01-renamed", "ci_class": "server", "status": "in_service",
        "environment": "production", "criticality": "medium", "version": "1",
    })  # fmt: skip

    # then it is refused with a conflict, their change stays, and the form keeps the new name
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page and 'value="srv-01-renamed"' in page
    assert 'name="version" value="2"' in page
    srv.refresh_from_db()
    assert (srv.name, srv.description) == ("srv-01", "theirs")


def test_a_lifecycle_move_that_is_not_allowed_is_explained(owner, make_ci):
    # given a planned server
    srv = make_ci("srv-01", CiClass.SERVER, status=CiStatus.PLANNED)

    # when it is put into maintenance directly (not offered, but posted)
    response = logged_in(owner).post(f"/cmdb/{srv.number}/edit/", {
        "name": "srv-01", "ci_class": "server", "status": "maintenance",
        "environment": "production", "criticality": "medium", "version": "1",
    })  # fmt: skip

    # then the status field refuses it (only "in service" and "retired" are offered)
    assert response.status_code == 400
    assert "Select a valid choice" in text_of(response)
    assert '<option value="maintenance"' not in text_of(response)
    srv.refresh_from_db()
    assert srv.status == "planned"


# --- the service map ----------------------------------------------------------------------------


def test_the_map_draws_what_the_item_rests_on_and_lists_the_impacted_services(agent, stack):
    # given E-mail → mail-app → srv-01 → hv-01
    mail, srv = stack["mail"], stack["srv"]
    client = logged_in(agent)

    # when the service's map and the server's map are shown, and the picture alone
    service_map = text_of(client.get(f"/cmdb/{mail.number}/map/"))
    server_map = text_of(client.get(f"/cmdb/{srv.number}/map/"))
    svg = client.get(f"/cmdb/{mail.number}/map.svg")

    # then the service's map has a node per item, linked, with the relations as edges
    for item in stack.values():
        assert f'href="/cmdb/{item.number}/"' in service_map
        assert f'data-ci="{item.number}"' in service_map
    assert "<title>mail-app runs on srv-01</title>" in service_map
    # and the server's map shows only what it rests on, and E-mail as impacted
    assert (
        f'data-ci="{mail.number}"' not in server_map
        and f'data-ci="{stack["hv"].number}"' in server_map
    )
    assert f'<a href="/cmdb/{mail.number}/" class="impact__service">E-mail</a>' in server_map
    # and the picture alone is SVG
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert svg.content.startswith(b'<?xml version="1.0"') and b"hv-01" in svg.content


def test_a_big_map_says_how_many_items_it_left_out(agent, make_ci, relate, monkeypatch):
    # given a service resting on five servers, and a map that draws four items
    monkeypatch.setattr(maps, "MAX_NODES", 4)
    service = make_ci("Big", CiClass.BUSINESS_SERVICE)
    for index in range(5):
        relate(service, RelationType.DEPENDS_ON, make_ci(f"srv-{index}"))

    # when its map is shown
    page = text_of(logged_in(agent).get(f"/cmdb/{service.number}/map/"))

    # then four items are drawn and two counted
    assert page.count('data-ci="') == 4
    assert "… and 2 more items not drawn" in page


# --- the incident page --------------------------------------------------------------------------


def test_the_incident_page_links_its_item_and_shows_the_impacted_services(agent, stack):
    # given an incident about srv-01
    srv, mail = stack["srv"], stack["mail"]
    caller = User.objects.get(username="rita")
    incident = create_incident(caller=caller, short_description="Mail is down", acting_user=agent,
                               channel="phone", configuration_item=srv)  # fmt: skip

    # when the agent opens it
    page = text_of(logged_in(agent).get(f"/desk/incidents/{incident.number}/"))

    # then the item links to its page, and the impact names E-mail with links to it and its map
    assert f'<a href="/cmdb/{srv.number}/" data-testid="incident-ci">srv-01</a>' in page
    assert "Impacted services" in page
    assert f'<a href="/cmdb/{mail.number}/" class="impact__service">E-mail</a>' in page
    assert f'href="/cmdb/{mail.number}/map/"' in page and f'href="/cmdb/{srv.number}/map/"' in page


def test_an_incident_without_an_item_shows_no_impact_and_the_impact_needs_the_permission(
    agent, make_user, stack
):
    # given an incident about nothing, and one about E-mail
    caller = User.objects.get(username="rita")
    plain = create_incident(caller=caller, short_description="Printer", acting_user=agent,
                            channel="phone")  # fmt: skip
    about_mail = create_incident(caller=caller, short_description="Mail", acting_user=agent,
                                 channel="phone", service=stack["mail"])  # fmt: skip

    # then the plain one shows no impact; the service's own impact is shown for the other
    assert "Impacted services" not in text_of(
        logged_in(agent).get(f"/desk/incidents/{plain.number}/")
    )
    assert linked_impact(agent, about_mail)["ci_impact"]["services"][0].ci == stack["mail"]
    # and someone who may not read the CMDB gets nothing
    assert linked_impact(make_user("req", Role.REQUESTER), about_mail) == {}


def test_the_demo_outage_names_its_server_and_e_mail_is_impacted(db, monkeypatch):
    # given the demo organisation
    monkeypatch.setenv("WATCHKEEPER_ADMIN_PASSWORD", "demo password for tests")
    load_demo()

    # then the E-mail outage is about mail-01, whose failure stops E-mail
    outage = Incident.objects.get(short_description="E-mail down for all staff")
    assert outage.configuration_item.name == "mail-01"
    names = [service.name for service in analyse(outage.configuration_item).services]
    assert names == ["E-mail"]
    assert ConfigurationItem.objects.backup_jobs().count() == 2
    assert ConfigurationItem.objects.get(name="Payroll").subscribers.count() == 4


def test_a_service_owner_sets_the_users_of_a_service(make_user, make_ci):
    # given a business service and two people
    owner = make_user("owner", Role.SERVICE_OWNER)
    service = make_ci("Payroll", CiClass.BUSINESS_SERVICE)
    make_user("ann"), make_user("bob")
    client = logged_in(owner)

    # when the owner saves two users, then names someone unknown
    saved = client.post(f"/cmdb/{service.number}/subscribers/", {"subscribers": "ann, bob"})
    refused = client.post(f"/cmdb/{service.number}/subscribers/", {"subscribers": "ann, zed"})

    # then the two are the service's users (recorded), the unknown name is refused beside it
    assert saved.status_code == 302
    assert sorted(u.username for u in service.subscribers.all()) == ["ann", "bob"]
    assert history_of(service).last().changes["subscribers"]["new"] == ["ann", "bob"]
    assert refused.status_code == 400 and "No active user named zed" in text_of(refused)
    page = text_of(client.get(f"/cmdb/{service.number}/"))
    assert 'value="ann, bob"' in page

    # and an agent may not, and a server has no users
    agent = logged_in(make_user("agent", Role.AGENT))
    assert (
        agent.post(f"/cmdb/{service.number}/subscribers/", {"subscribers": ""}).status_code == 403
    )
    server = make_ci("srv-9")
    assert (
        client.post(f"/cmdb/{server.number}/subscribers/", {"subscribers": ""}).status_code == 404
    )
