"""The workspace record page in a real browser: the assignee list follows the chosen group
(htmx), and related records are added and shown as links. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts import actions as accounts
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents import actions
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.browser


def test_assignee_list_follows_the_group_and_related_records_link(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given an agent in the Service Desk, a resolver in Network, and two incidents
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    resolver = make_user("nina", Role.RESOLVER, first_name="Nina", last_name="Network")
    desk = accounts.create_group(name="Service Desk", acting_user=None)
    accounts.set_members(desk, [agent], acting_user=None)
    network = accounts.create_group(name="Network", acting_user=None)
    accounts.set_members(network, [resolver], acting_user=None)
    incident = actions.create_incident(
        caller=agent, short_description="VPN drops", acting_user=agent, assignment_group=desk
    )
    other = actions.create_incident(caller=agent, short_description="Wi-Fi slow", acting_user=agent)
    log_in(page, "adam")
    page.goto(f"/desk/incidents/{incident.number}/")

    # when the agent opens Assign and picks the Network group
    page.locator("summary", has_text="Assign").first.click()
    assignee = page.get_by_label("Assignee")
    expect(assignee.locator("option")).to_have_text(["— nobody yet —", "Adam Agent"])
    page.get_by_label("Assignment group").select_option(label="Network")

    # then the assignee list reloads with Network's members, and assigning works
    expect(page.get_by_label("Assignee").locator("option")).to_have_text(
        ["— nobody yet —", "Nina Network"]
    )
    page.get_by_label("Assignee").select_option(label="Nina Network")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#fields")).to_contain_text("Nina Network")

    # when the agent relates the other incident by its number
    page.locator("summary", has_text="Add a related incident").click()
    page.get_by_label("Related incident").fill(other.number)
    page.get_by_role("button", name="Add a related incident").click()

    # then it is listed as a link, which leads to it
    relations = page.locator("#relations")
    expect(relations.get_by_role("link", name=other.number)).to_be_visible()
    page.screenshot(path=shots / "record-relations-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    relations.screenshot(path=shots / "record-relations-360.png")
    relations.get_by_role("link", name=other.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wi-Fi slow")
    expect(page.locator("#relations").get_by_role("link", name=incident.number)).to_be_visible()
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.assignee == resolver and list(saved.related.all()) == [other]
    assert console_errors == []
