"""Acceptance: an incident from the portal to the agent workspace and back, in a real browser.

A requester reports an incident; an agent of the category's default group finds it in the group
queue, assigns it to themself, adds a work note (the requester does not see it) and a comment
(the requester does), resolves it; the requester confirms and the incident is closed.
Screenshots are kept in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from watchkeeper.accounts import actions as accounts
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents.models import Category, Incident

PASSWORD = "correct horse battery staple 42"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

pytestmark = pytest.mark.browser


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def open_session(
    browser: Any, live_server: Any, console_errors: list[str]
) -> Iterator[Callable[..., Page]]:
    """A logged-in page per user, each in its own browser context (its own cookies)."""
    contexts = []

    def open_as(username: str, width: int = 1280) -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def no_horizontal_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_incident_from_the_portal_to_the_desk_and_back(
    open_session: Callable[..., Page],
    make_user: Callable[..., User],
    console_errors: list[str],
    artifacts: Path,
) -> None:
    # given a requester, and an agent in the Service Desk group, the default group of Hardware
    make_user("rita", Role.REQUESTER, first_name="Rita", last_name="Requester")
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    desk = accounts.create_group(name="Service Desk", acting_user=None)
    accounts.set_members(desk, [agent], acting_user=None)
    hardware = Category.objects.create(name="Hardware", default_group=desk)
    Category.objects.create(name="Laptop", parent=hardware)

    # when the requester reports an incident in the portal
    rita = open_session("rita")
    rita.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Report an incident"
    ).click()
    rita.get_by_label("What is not working?").fill("Laptop does not start")
    rita.get_by_label("Details").fill("The power light blinks **orange** three times.")
    rita.get_by_label(re.compile(r"^Category")).select_option(label="Hardware")
    rita.get_by_label("Subcategory").select_option(label="Laptop")
    rita.get_by_label("Urgency").select_option(label="2 - Medium")
    rita.screenshot(path=artifacts / "portal-report.png", full_page=True)
    rita.get_by_role("button", name="Report the incident").click()

    # then it is recorded and routed to the Service Desk group
    expect(rita.get_by_role("heading", level=1)).to_have_text("Laptop does not start")
    number = Incident.objects.get().number
    expect(rita.get_by_role("status")).to_contain_text(number)
    assert Incident.objects.get().assignment_group == desk

    # when the agent opens the group queue
    adam = open_session("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    adam.get_by_role("navigation", name="Queues").get_by_role("link", name="My groups'").click()
    row = adam.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Laptop does not start")
    adam.screenshot(path=artifacts / "desk-queue.png", full_page=True)
    row.get_by_role("link", name=number).click()

    # and assigns it to themself
    expect(adam.get_by_role("heading", level=1)).to_have_text("Laptop does not start")
    adam.get_by_role("button", name="Assign to me").click()
    fields = adam.locator("#fields")
    expect(fields).to_contain_text("Adam Agent")

    # and adds a work note
    adam.get_by_label("Message").fill("Battery probably dead: SECRET-NOTE")
    adam.get_by_label("Work note (internal").check()
    adam.get_by_role("button", name="Add", exact=True).click()
    note = adam.locator(".stream__item--internal").filter(has_text="SECRET-NOTE")
    expect(note).to_contain_text("Work note · internal")

    # then the requester does not see it
    rita.reload()
    expect(rita.get_by_role("heading", level=1)).to_have_text("Laptop does not start")
    expect(rita.get_by_text("SECRET-NOTE")).to_have_count(0)

    # when the agent adds a comment
    adam.get_by_label("Message").fill("Please bring the laptop to the desk.")
    adam.get_by_label("Comment (the caller").check()
    adam.get_by_role("button", name="Add", exact=True).click()
    expect(adam.locator(".stream__item--comment")).to_contain_text("Please bring the laptop")

    # then the requester sees it
    rita.reload()
    expect(rita.get_by_text("Please bring the laptop to the desk.")).to_be_visible()
    expect(rita.get_by_text("SECRET-NOTE")).to_have_count(0)

    # when the agent resolves it
    adam.locator("summary", has_text="Resolve").click()
    adam.get_by_label("Resolution code").select_option(label="Solved (permanently)")
    adam.get_by_label("Resolution notes").fill("Replaced the battery.")
    adam.locator("form[action$='/resolve/']").get_by_role("button", name="Resolve").click()
    expect(adam.locator(".record-badges")).to_contain_text("Resolved")
    adam.screenshot(path=artifacts / "desk-record.png", full_page=True)

    # and the requester confirms the resolution
    rita.reload()
    expect(rita.get_by_role("heading", name="Is it fixed?")).to_be_visible()
    expect(rita.get_by_text("Replaced the battery.")).to_be_visible()
    rita.screenshot(path=artifacts / "portal-resolved.png", full_page=True)
    rita.get_by_role("button", name="Yes, confirm it is fixed").click()

    # then the incident is closed
    expect(rita.get_by_role("status")).to_contain_text(f"{number} is closed")
    expect(rita.locator(".page-header")).to_contain_text("Closed")
    assert Incident.objects.get().state == "closed"
    expect(rita.get_by_text("SECRET-NOTE")).to_have_count(0)
    assert console_errors == []


def test_portal_and_workspace_fit_a_narrow_screen(
    open_session: Callable[..., Page],
    make_user: Callable[..., User],
    console_errors: list[str],
    artifacts: Path,
) -> None:
    # given an incident with a conversation
    from watchkeeper.incidents import actions

    rita = make_user("rita", Role.REQUESTER, first_name="Rita", last_name="Requester")
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    desk = accounts.create_group(name="Service Desk", acting_user=None)
    accounts.set_members(desk, [agent], acting_user=None)
    incident = actions.create_incident(
        caller=rita,
        short_description="Cannot print the quarterly report on the third-floor printer",
        description="It says `PCL XL error` and a very long word: " + "x" * 80,
        acting_user=rita,
    )
    actions.assign(incident, group=desk, assignee=agent, acting_user=agent)
    actions.add_work_note(incident, body="Driver issue", acting_user=agent)
    actions.add_comment(incident, body="Which printer exactly?", acting_user=agent)

    # when each page is shown 360 pixels wide
    requester = open_session("rita", width=360)
    for address, name in [
        ("/", "portal-home-360"),
        ("/portal/report/", "portal-report-360"),
        ("/portal/incidents/", "portal-list-360"),
        (f"/portal/incidents/{incident.number}/", "portal-detail-360"),
    ]:
        requester.goto(address)
        requester.screenshot(path=artifacts / f"{name}.png", full_page=True)
        # then nothing scrolls sideways
        no_horizontal_scroll(requester)
    staff = open_session("adam", width=360)
    for address, name in [
        ("/desk/?queue=open", "desk-queue-360"),
        (f"/desk/incidents/{incident.number}/", "desk-record-360"),
        ("/desk/incidents/new/", "desk-new-360"),
    ]:
        staff.goto(address)
        staff.screenshot(path=artifacts / f"{name}.png", full_page=True)
        no_horizontal_scroll(staff)
    assert console_errors == []


def test_keyboard_shortcuts_move_through_the_queue(
    open_session: Callable[..., Page], make_user: Callable[..., User]
) -> None:
    # given
    from watchkeeper.incidents import actions

    agent = make_user("adam", Role.AGENT)
    for text in ("First", "Second"):
        actions.create_incident(caller=agent, short_description=text, acting_user=agent)
    page = open_session("adam")
    page.goto("/desk/?queue=open")

    # when / then
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("[data-queue-link]").first).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("[data-queue-link]").nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("[data-queue-link]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("c")
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.get_by_role("heading", level=1)).to_have_text("New incident")
