"""The workspace record page: related records, parent, priority override, watch list, tags and
the assignee chooser that follows the group."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.history import history_of
from watchkeeper.incidents import actions
from watchkeeper.incidents.models import Incident


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return response.content.decode()


def field_error(page: str, field_id: str) -> str:
    """The error list of the field whose input has ``field_id``, as text."""
    block = re.search(r'<div class="field field--invalid">(?:(?!<div class="field).)*?id="'
                      + field_id + '"', page, re.DOTALL)  # fmt: skip
    assert block, f"no error beside {field_id}"
    return re.sub(r"<[^>]+>", " ", block.group(0))


@pytest.fixture
def incident(make_incident: Callable[..., Incident], agent: User, desk: SupportGroup) -> Incident:
    return make_incident("Laptop does not boot", acting_user=agent, assignment_group=desk)


def url(incident: Incident, move: str = "") -> str:
    return f"/desk/incidents/{incident.number}/{move + '/' if move else ''}"


def version(incident: Incident) -> int:
    return Incident.objects.get(pk=incident.pk).version


# --- parent, children and related incidents ---------------------------------------------------


def test_the_record_links_its_parent_children_and_related_incidents(
    make_incident: Callable[..., Incident], incident: Incident, agent: User
) -> None:
    # given a parent with a child, related to a third incident
    child = make_incident("Also no boot", acting_user=agent, parent=incident)
    other = make_incident("Docking station", acting_user=agent)
    actions.relate(incident, other, acting_user=agent)

    # when the agent opens the parent and the child
    parent_page = text_of(logged_in(agent).get(url(incident)))
    child_page = text_of(logged_in(agent).get(url(child)))

    # then each links the others
    assert f'href="/desk/incidents/{child.number}/"' in parent_page
    assert f'href="/desk/incidents/{other.number}/"' in parent_page
    assert f'href="/desk/incidents/{incident.number}/"' in child_page
    assert "Clear the parent" in child_page and "Clear the parent" not in parent_page
    assert f'name="related" value="{other.number}"' in parent_page  # its remove button


def test_agent_sets_and_clears_the_parent_from_the_record(
    make_incident: Callable[..., Incident], incident: Incident, agent: User
) -> None:
    # given another incident
    child = make_incident("Also no boot", acting_user=agent)
    client = logged_in(agent)

    # when the agent sets its parent by number (lower case), then clears it
    set_response = client.post(
        url(child, "parent"), {"parent": incident.number.lower(), "version": version(child)}
    )
    linked = Incident.objects.get(pk=child.pk).parent
    cleared = client.post(url(child, "parent"), {"parent": "", "version": version(child)})

    # then
    assert set_response.status_code == cleared.status_code == 302
    assert linked == incident
    assert Incident.objects.get(pk=child.pk).parent is None
    assert [e.action for e in history_of(incident)][-2:] == ["child_added", "child_removed"]


def test_a_refused_parent_shows_why_beside_the_field(
    make_incident: Callable[..., Incident], incident: Incident, agent: User
) -> None:
    # given incident > child
    child = make_incident("Also no boot", acting_user=agent, parent=incident)
    client = logged_in(agent)

    # when the agent makes the parent a child of its child, or names no real incident
    cycle = client.post(url(incident, "parent"), {"parent": child.number, "version": 1})
    unknown = client.post(url(child, "parent"), {"parent": "INC42x", "version": version(child)})

    # then both are refused with the reason beside the parent field
    assert cycle.status_code == unknown.status_code == 400
    assert "own descendant" in field_error(text_of(cycle), "parent_parent")
    assert "No incident" in field_error(text_of(unknown), "parent_parent")
    assert Incident.objects.get(pk=incident.pk).parent is None


def test_agent_adds_and_removes_a_related_incident(
    make_incident: Callable[..., Incident], incident: Incident, agent: User
) -> None:
    # given
    other = make_incident("Docking station", acting_user=agent)
    client = logged_in(agent)

    # when the agent relates it, tries again, then removes it
    added = client.post(url(incident, "relate"), {"related": other.number})
    again = client.post(url(incident, "relate"), {"related": other.number})
    missing = client.post(url(incident, "relate"), {"related": "INC9999999"})
    removed = client.post(url(incident, "unrelate"), {"related": other.number})

    # then
    assert added.status_code == removed.status_code == 302
    assert again.status_code == missing.status_code == 400
    assert "already related" in field_error(text_of(again), "related_related")
    assert "No incident" in field_error(text_of(missing), "related_related")
    assert not incident.related.exists()
    assert [e.action for e in history_of(other)][-2:] == ["related", "unrelated"]


def test_read_only_staff_cannot_change_links(
    make_incident: Callable[..., Incident], incident: Incident, make_user: Callable[..., User]
) -> None:
    # given an auditor
    auditor = make_user("audrey", Role.AUDITOR)
    other = make_incident("Docking station")

    # when
    page = text_of(logged_in(auditor).get(url(incident)))
    posted = logged_in(auditor).post(url(incident, "relate"), {"related": other.number})

    # then
    assert "Related records" in page and "Add a related incident" not in page
    assert posted.status_code == 403 and not incident.related.exists()


# --- priority override, watch list, tags ------------------------------------------------------


def test_only_those_allowed_see_and_use_the_priority_override(
    incident: Incident, agent: User, manager: User
) -> None:
    # given
    form = {"priority": 1, "reason": "The CEO's laptop", "version": incident.version}

    # when
    agent_page = text_of(logged_in(agent).get(url(incident)))
    refused = logged_in(agent).post(url(incident, "priority"), form)
    manager_page = text_of(logged_in(manager).get(url(incident)))
    overridden = logged_in(manager).post(url(incident, "priority"), form)
    after = text_of(logged_in(agent).get(url(incident)))

    # then the form is the manager's alone, and the reason shows beside the priority
    assert "Override priority" not in agent_page and "Override priority" in manager_page
    assert refused.status_code == 403 and overridden.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.priority, saved.priority_override_reason) == (1, "The CEO's laptop")
    assert "overridden: The CEO&#x27;s laptop" in after


def test_an_override_needs_a_reason(incident: Incident, manager: User) -> None:
    response = logged_in(manager).post(
        url(incident, "priority"), {"priority": 1, "reason": "", "version": incident.version}
    )
    assert response.status_code == 400
    assert "required" in field_error(text_of(response), "override_reason")
    assert Incident.objects.get(pk=incident.pk).priority == incident.priority


def test_agent_edits_the_watch_list_and_tags(
    incident: Incident, agent: User, make_user: Callable[..., User]
) -> None:
    # given two colleagues
    make_user("wanda")
    make_user("will")
    client = logged_in(agent)

    # when the agent sets watchers and tags, comma-separated
    watched = client.post(url(incident, "watch-list"), {"watchers": "wanda, will,wanda"})
    tagged = client.post(url(incident, "tags"), {"tags": "VPN, remote-work"})
    page = text_of(client.get(url(incident)))

    # then
    assert watched.status_code == tagged.status_code == 302
    assert sorted(incident.watch_list.values_list("username", flat=True)) == ["wanda", "will"]
    assert sorted(incident.tags.values_list("name", flat=True)) == ["remote-work", "vpn"]
    assert 'value="wanda, will"' in page and 'value="remote-work, vpn"' in page


def test_bad_watchers_or_tags_are_refused_beside_the_field(incident: Incident, agent: User) -> None:
    # when
    client = logged_in(agent)
    watchers = client.post(url(incident, "watch-list"), {"watchers": "ghost, nobody"})
    tags = client.post(url(incident, "tags"), {"tags": "fine, not fine!"})

    # then
    assert watchers.status_code == tags.status_code == 400
    assert "No active user named ghost, nobody" in field_error(text_of(watchers), "watch_watchers")
    assert "not fine!" in field_error(text_of(tags), "tags_tags")
    assert not incident.watch_list.exists() and not incident.tags.exists()


def test_clearing_the_watch_list(incident: Incident, agent: User, requester: User) -> None:
    actions.set_watch_list(incident, [requester], acting_user=agent)
    response = logged_in(agent).post(url(incident, "watch-list"), {"watchers": ""})
    assert response.status_code == 302 and not incident.watch_list.exists()


# --- the assignee chooser ---------------------------------------------------------------------


@pytest.fixture
def network(make_group: Callable[..., SupportGroup], make_user: Callable[..., User]) -> Any:
    """A second group with one resolver, and a member of it who cannot work incidents."""
    nina = make_user("nina", Role.RESOLVER, first_name="Nina")
    reader = make_user("otto", Role.AUDITOR, first_name="Otto")
    return make_group("Network", members=(nina, reader))


def options(html: str) -> list[str]:
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html)


def test_the_assignee_list_shows_the_groups_members_and_reloads_with_the_group(
    incident: Incident, agent: User, network: SupportGroup
) -> None:
    # given
    client = logged_in(agent)

    # when the record is opened (group: the desk) and the group changes to Network (htmx)
    page = text_of(client.get(url(incident)))
    assign_form = page[
        page.index('id="id_assignee"') : page.index("</select>", page.index('id="id_assignee"'))
    ]
    swapped = client.get("/desk/assignees/", {"group": network.pk}, headers={"HX-Request": "true"})

    # then each list holds the members of that group who can work incidents
    assert options(assign_form) == ["Alex"]
    assert 'hx-get="/desk/assignees/"' in page and 'hx-target="#id_assignee"' in page
    assert swapped.status_code == 200
    assert options(text_of(swapped)) == ["Nina"]
    assert 'id="id_assignee"' in text_of(swapped) and "<html" not in text_of(swapped)


@pytest.mark.parametrize("group", ["999999", "abc", "-1"])
def test_the_assignee_list_refuses_an_unknown_group(agent: User, group: str) -> None:
    response = logged_in(agent).get("/desk/assignees/", {"group": group})
    assert response.status_code == 400 and options(text_of(response)) == []


def test_only_workers_load_assignee_lists(requester: User, desk: SupportGroup) -> None:
    response = logged_in(requester).get("/desk/assignees/", {"group": desk.pk})
    assert response.status_code == 403 and "Alex" not in text_of(response)


def test_without_javascript_a_mismatched_assignee_is_refused_beside_the_field(
    incident: Incident, agent: User, network: SupportGroup
) -> None:
    # when the group changes to Network but the desk's agent is still chosen (no reload)
    response = logged_in(agent).post(
        url(incident, "assign"),
        {"group": network.pk, "assignee": agent.pk, "version": incident.version},
    )

    # then the assignment is refused with the reason beside the assignee field
    assert response.status_code == 400
    assert "is not a member of Network" in field_error(text_of(response), "id_assignee")
    assert options(text_of(response).split('id="id_assignee"')[1].split("</select>")[0]) == ["Nina"]
    assert Incident.objects.get(pk=incident.pk).assignee is None


# --- the configuration item -------------------------------------------------------------------


def test_an_agent_links_the_configuration_item_by_number_or_name(
    incident: Incident, agent: User
) -> None:
    # given a server in the CMDB
    from watchkeeper.cmdb.actions import create_ci

    server = create_ci(name="mail-01", ci_class="server", acting_user=None)
    fields = {"short_description": incident.short_description, "impact": 3, "urgency": 3}
    client = logged_in(agent)

    # when the agent types its suggestion ("CI… name"), then an unknown item
    saved = client.post(
        url(incident, "fields"),
        {**fields, "configuration_item": f"{server.number} mail-01", "version": version(incident)},
    )
    refused = client.post(
        url(incident, "fields"),
        {**fields, "configuration_item": "no-such-box", "version": version(incident)},
    )

    # then the first is saved and recorded, the second refused beside the field
    assert saved.status_code in (200, 302)
    incident.refresh_from_db()
    assert incident.configuration_item == server
    assert history_of(incident).last().changes["configuration_item"]["new"]["label"] == "mail-01"
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in field_error(text_of(refused), "id_configuration_item")
    assert "No configuration item is named &#x27;no-such-box&#x27;" in text_of(refused)
    page = text_of(client.get(url(incident, "fields")))
    assert f'value="{server.number} mail-01"' in page and 'id="ci-options"' in page
