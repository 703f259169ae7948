"""Steps the browser tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from playwright.sync_api import Page

#: The password ``make_user`` gives everyone (see the root conftest.py).
PASSWORD = "correct horse battery staple 42"


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
