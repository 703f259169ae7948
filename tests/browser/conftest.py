"""Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's guard against database
calls from async code has to be lifted for these tests. Without /usr/bin/chromium the tests are
skipped, unless ``WATCHKEEPER_REQUIRE_BROWSER=1`` (CI) turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp/wk-shots")  # noqa: S108 - a fixed place to look at the screenshots


def _missing_browser(reason: str) -> None:
    if os.environ.get("WATCHKEEPER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"WATCHKEEPER_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium for the whole session; each test gets a fresh context (cookies, storage)."""
    if not CHROMIUM.exists():
        _missing_browser(f"{CHROMIUM} is not installed (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page logged: CSP violations, failed loads, script errors."""
    return []


@pytest.fixture
def page(browser: Any, live_server: Any, console_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    new_page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    new_page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield new_page
    context.close()


@pytest.fixture
def shots() -> Path:
    """Where the screenshots go, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
