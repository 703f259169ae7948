"""The site header in a real browser: the Notifications link looks like the other navigation
links (with its unread badge), at desktop and phone widths. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.models import Notification

#: What makes a header link look like one: compared between a nav link and Notifications.
LOOK = """element => {
  const s = getComputedStyle(element);
  return {decoration: s.textDecorationLine, color: s.color, padding: s.padding,
          radius: s.borderRadius, weight: s.fontWeight, size: s.fontSize,
          background: s.backgroundColor, shadow: s.boxShadow};
}"""

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_with_news(make_user: Callable[..., User]) -> User:
    """An agent (a long navigation) with three unread notifications."""
    user = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    for n in range(3):
        Notification.objects.create(user=user, title=f"INC000100{n} was assigned to you")
    return user


def look(page: Page, selector: str) -> dict[str, Any]:
    return page.locator(selector).first.evaluate(LOOK)  # type: ignore[no-any-return]


def test_notifications_link_looks_like_the_other_navigation_links(
    page: Page, agent_with_news: User, console_errors: list[str], shots: Path
) -> None:
    # given
    log_in(page, "adam")

    # when the agent looks at the header on a wide screen
    inbox = page.get_by_role("link", name="Notifications")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace")
    page.locator(".site-header").screenshot(path=shots / "header-1280.png")

    # then it has the nav links' look (not underlined), its badge, and sits on their line
    assert look(page, ".site-header__inbox") == look(page, ".site-nav a:not([aria-current])")
    assert look(page, ".site-header__inbox")["decoration"] == "none"
    expect(inbox.get_by_test_id("unread-count")).to_have_text("(unread: 3)")
    boxes = [
        inbox.bounding_box(),
        nav_link.bounding_box(),
        page.locator(".user-menu").bounding_box(),
    ]
    assert None not in boxes
    middles = [box["y"] + box["height"] / 2 for box in boxes if box]
    assert max(middles) - min(middles) <= 2  # one line: nav, Notifications, account menu
    assert abs(boxes[0]["height"] - boxes[1]["height"]) <= 2  # type: ignore[index]

    # when it opens the notifications
    inbox.click()
    page.wait_for_url("**/notifications/")

    # then the link is marked current the way a current nav link is
    current = look(page, ".site-header__inbox")
    page.goto("/")
    home = look(page, ".site-nav a[aria-current]")
    assert (current["background"], current["shadow"]) == (home["background"], home["shadow"])
    assert console_errors == []


def test_the_header_is_clean_on_a_phone(
    page: Page, agent_with_news: User, console_errors: list[str], shots: Path
) -> None:
    # given
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "adam")

    # when
    page.locator(".site-header").screenshot(path=shots / "header-360.png")

    # then nothing leaves the screen, and Notifications with its badge fits on one line
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    inbox = page.get_by_role("link", name="Notifications")
    box = inbox.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    nav_box = page.get_by_role("navigation", name="Main").get_by_role("link").first.bounding_box()
    assert nav_box is not None and abs(box["height"] - nav_box["height"]) <= 2
    expect(inbox.get_by_test_id("unread-count")).to_be_visible()
    assert console_errors == []
