"""Request fulfilment in a real browser: a requester orders a laptop from the catalog, her
manager approves from the link in his e-mail (without logging in), the service desk takes and
completes the fulfilment task, and the requester sees her request closed complete.
Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from django.core import mail
from playwright.sync_api import Page, expect

from watchkeeper.accounts.actions import create_group, set_members
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)

pytestmark = pytest.mark.browser
LINK = re.compile(r"https?://\S+(/approvals/[^/\s]+/)")


def laptop_with_approval_and_a_task(desk: Any) -> CatalogItem:
    hardware = CatalogCategory.objects.create(name="Hardware")
    item = CatalogItem.objects.create(
        category=hardware, name="Laptop", summary="A standard laptop", fulfilment_group=desk
    )
    CatalogVariable.objects.create(
        item=item, name="size", label="Screen size", kind="choice",
        choices=["13 inch", "15 inch"], required=True,
    )  # fmt: skip
    ApprovalStep.objects.create(item=item, level=1, approver_kind="manager")
    FulfilmentStep.objects.create(item=item, stage=1, title="Prepare and hand over the laptop")
    return item


def test_order_approve_from_the_e_mail_fulfil_and_see_it_complete(
    page: Page, browser: Any, live_server: Any, make_user: Callable[..., User],
    console_errors: list[str], shots: Path,
) -> None:  # fmt: skip
    # given Rita, her manager Bob, and Adam of the service desk
    bob = make_user("bob", email="bob@example.org", first_name="Bob")
    make_user("rita", manager=bob, first_name="Rita")
    adam = make_user("adam", Role.AGENT, first_name="Adam")
    desk = create_group(name="Service Desk", acting_user=None)
    set_members(desk, [adam], acting_user=None)
    laptop_with_approval_and_a_task(desk)
    mail.outbox.clear()

    # when Rita orders a 15-inch laptop from the catalog
    log_in(page, "rita")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="Laptop").click()
    page.get_by_label("Screen size").select_option("15 inch")
    page.get_by_role("button", name="Order").click()
    # then her request waits for approval
    expect(page.get_by_test_id("request-state")).to_have_text("Open")
    expect(page.get_by_test_id("item-state")).to_have_text("Awaiting approval")
    number = page.locator("h1").inner_text().split(":")[0]
    page.screenshot(path=str(shots / "request-ordered.png"), full_page=True)

    # when Bob opens the link in his e-mail, in a browser where nobody is logged in
    [message] = [m for m in mail.outbox if "Approval needed" in m.subject]
    assert message.to == ["bob@example.org"] and "15 inch" in message.body
    found = LINK.search(message.body)
    assert found, message.body
    mailbox = browser.new_context(base_url=live_server.url)
    bobs = mailbox.new_page()
    bobs.goto(found.group(1))
    expect(bobs.get_by_text("15 inch")).to_be_visible()
    bobs.get_by_role("button", name="Approve").click()
    expect(bobs.get_by_test_id("decided")).to_contain_text("approved")
    bobs.screenshot(path=str(shots / "request-approved-from-e-mail.png"), full_page=True)
    mailbox.close()

    # then the service desk has a task: Adam takes it and completes it
    desk_page = browser.new_context(base_url=live_server.url).new_page()
    log_in(desk_page, "adam")
    desk_page.goto("/desk/tasks/")
    desk_page.get_by_role("link", name=re.compile(r"^TASK")).click()
    expect(desk_page.get_by_text("15 inch")).to_be_visible()
    desk_page.get_by_role("button", name="Take it").click()
    expect(desk_page.get_by_test_id("task-state")).to_have_text("In progress")
    desk_page.get_by_label("Notes (optional)").fill("Handed over at the desk")
    desk_page.get_by_role("button", name="Complete the task").click()
    expect(desk_page.get_by_test_id("task-state")).to_have_text("Complete")
    desk_page.context.close()

    # and Rita sees her request closed complete
    page.goto(f"/portal/requests/{number}/")
    expect(page.get_by_test_id("request-state")).to_have_text("Closed complete")
    expect(page.get_by_test_id("item-state")).to_have_text("Complete")
    page.screenshot(path=str(shots / "request-complete.png"), full_page=True)
    assert console_errors == []
