"""The web UI shell in a real browser: log in, land on the role's home, manage API tokens."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User

pytestmark = pytest.mark.browser


def get_me(base_url: str, token: str) -> tuple[int, dict[str, Any]]:
    """``GET /api/v1/me`` as a script would: plain HTTP, no browser, no cookies."""
    request = urllib.request.Request(  # noqa: S310 - the live server's own http:// address
        f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_agent_creates_uses_and_revokes_an_api_token(
    page: Page,
    live_server: Any,
    make_user: Callable[..., User],
    console_errors: list[str],
    shots: Path,
) -> None:
    # given
    make_user("alex", Role.AGENT, first_name="Alex", last_name="Morgan")
    log_in(page, "alex")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service desk home")
    page.screenshot(path=shots / "agent-home.png", full_page=True)

    # when
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    page.get_by_label("Name", exact=True).fill("deploy script")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token-secret").inner_text().strip()
    page.screenshot(path=shots / "profile.png", full_page=True)
    status, me = get_me(live_server.url, secret)

    # then
    assert status == 200
    assert me["username"] == "alex"
    assert me["roles"] == ["agent"]
    assert me["token_scope"] == "write"

    # when
    row = page.get_by_role("row").filter(has_text="deploy script")
    row.get_by_role("button", name="Revoke").click()

    # then
    expect(page.get_by_role("status")).to_contain_text("was revoked")
    expect(page.get_by_test_id("new-token-secret")).to_have_count(0)
    expect(row.get_by_text("Revoked", exact=True)).to_be_visible()
    status, body = get_me(live_server.url, secret)
    assert status == 401
    assert "revoked" in body["detail"]
    assert console_errors == []


def test_requester_lands_on_the_portal_and_cannot_see_the_admin(
    page: Page, make_user: Callable[..., User], console_errors: list[str]
) -> None:
    # given
    make_user("rita", Role.REQUESTER)
    log_in(page, "rita")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your service portal")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)

    # when
    page.goto("/admin/")

    # then
    expect(page.get_by_text("not authorized to access this page")).to_be_visible()
    expect(page.get_by_text("Site administration")).to_have_count(0)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)


def test_narrow_screen_has_no_horizontal_scroll_and_reachable_navigation(
    page: Page,
    make_user: Callable[..., User],
    make_token: Callable[..., str],
    console_errors: list[str],
    shots: Path,
) -> None:
    # given
    admin = make_user("adaline", Role.ADMINISTRATOR, first_name="Adaline", last_name="Kowalczyk")
    make_token(admin, name="a token with a rather long name for a narrow screen")
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "adaline")

    for address in ("/", "/profile/"):
        # when
        page.goto(address)

        # then
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, address
        for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 360
    page.screenshot(path=shots / "profile-360.png", full_page=True)

    # when
    page.locator("summary", has_text="Account menu").click()

    # then
    log_out = page.get_by_role("button", name="Log out")
    expect(log_out).to_be_visible()
    box = log_out.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    log_out.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Watchkeeper")
    assert console_errors == []


def test_keyboard_users_can_skip_to_the_content(page: Page, make_user: Callable[..., User]) -> None:
    # given
    make_user("kim", Role.RESOLVER)
    log_in(page, "kim")

    # when
    page.keyboard.press("Tab")

    # then
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
