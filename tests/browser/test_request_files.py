"""An order with a file and a delivery time, in a real browser: a requester attaches a quote to
her order and downloads it again from her request; an agent moves between the workspace's tabs
to the task, which is due and links to the same file. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from django.test import override_settings
from playwright.sync_api import Page, expect

from watchkeeper.accounts.actions import create_group, set_members
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.requests.models import (
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4 the supplier's quote"


def monitor_with_a_quote(desk: Any) -> CatalogItem:
    hardware = CatalogCategory.objects.create(name="Hardware")
    item = CatalogItem.objects.create(
        category=hardware, name="Monitor", summary="A second screen", fulfilment_group=desk,
        delivery_hours=16,
    )  # fmt: skip
    CatalogVariable.objects.create(
        item=item, name="quote", label="Supplier's quote", kind="attachment", required=True,
        help_text="The PDF the supplier sent you.",
    )  # fmt: skip
    FulfilmentStep.objects.create(item=item, stage=1, title="Order and set up the monitor")
    return item


def test_a_file_goes_with_the_order_and_the_task_is_found_from_the_workspace(
    page: Page, browser: Any, live_server: Any, make_user: Callable[..., User],
    console_errors: list[str], shots: Path, tmp_path: Path,
) -> None:  # fmt: skip
    # given Rita, and Adam of the service desk
    make_user("rita", first_name="Rita")
    adam = make_user("adam", Role.AGENT, first_name="Adam")
    desk = create_group(name="Service Desk", acting_user=None)
    set_members(desk, [adam], acting_user=None)
    monitor_with_a_quote(desk)
    quote = tmp_path / "quote.pdf"
    quote.write_bytes(PDF)

    with override_settings(MEDIA_ROOT=tmp_path / "files"):
        # when Rita orders the monitor with the quote attached
        log_in(page, "rita")
        page.goto("/portal/catalog/")
        page.get_by_role("link", name="Monitor").click()
        page.get_by_label("Supplier's quote").set_input_files(str(quote))
        page.get_by_role("button", name="Order").click()

        # then her request shows when it is due and the file, which she can download
        expect(page.get_by_test_id("item-state")).to_have_text("In fulfilment")
        expect(page.get_by_test_id("due")).to_have_text("Due")
        with page.expect_download() as download:
            page.get_by_test_id("attachment").click()
        assert download.value.suggested_filename == "quote.pdf"
        assert Path(download.value.path()).read_bytes() == PDF
        page.screenshot(path=str(shots / "request-with-file.png"), full_page=True)

        # when Adam goes from the incidents queue to his groups' tasks
        desk_page = browser.new_context(base_url=live_server.url).new_page()
        log_in(desk_page, "adam")
        desk_page.goto("/desk/")
        tabs = desk_page.get_by_role("navigation", name="Workspace sections")
        tabs.get_by_role("link", name="Tasks (1 open for my groups)").click()
        expect(tabs.get_by_role("link", name=re.compile("^Tasks"))).to_have_attribute(
            "aria-current", "page"
        )
        desk_page.screenshot(path=str(shots / "workspace-tasks-tab.png"), full_page=True)
        desk_page.get_by_role("link", name=re.compile(r"^TASK")).click()

        # then the task is due and links to the same file
        expect(desk_page.get_by_test_id("due")).to_have_text("Due")
        with desk_page.expect_download() as again:
            desk_page.get_by_test_id("attachment").click()
        assert Path(again.value.path()).read_bytes() == PDF
        desk_page.context.close()
    assert console_errors == []
