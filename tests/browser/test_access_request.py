"""Temporary access in a real browser: a requester asks for an ERP role until a day 10 days
ahead, the role's owner approves it in "Waiting for my approval", the service desk completes
the provisioning task, and the grant is in the register with its last day; when that day has
passed, the expiry job ends it: the register shows it expired, and "My access" shows it ended.
Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from watchkeeper.access.actions import expire_due
from watchkeeper.access.models import AccessRole, Entitlement
from watchkeeper.accounts.actions import create_group, set_members
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)

pytestmark = pytest.mark.browser


def erp_clerk_role(owner: User, desk: Any) -> AccessRole:
    """An ERP role its owner approves, with one provisioning task and a required end date."""
    erp = create_ci(name="ERP", ci_class="application", acting_user=None)
    access = CatalogCategory.objects.create(name="Access")
    item = CatalogItem.objects.create(
        category=access, name="ERP: AP clerk", summary="Enter supplier invoices in the ERP",
        fulfilment_group=desk,
    )  # fmt: skip
    CatalogVariable.objects.create(
        item=item, name="until", label="Until", kind="date", required=True
    )
    ApprovalStep.objects.create(item=item, level=1, approver_kind="owner")
    FulfilmentStep.objects.create(item=item, stage=1, title="Create the ERP account")
    return AccessRole.objects.create(
        system=erp, name="AP clerk", owner=owner, max_days=90, catalog_item=item
    )


def test_temporary_access_is_approved_granted_registered_and_expires(
    page: Page, browser: Any, live_server: Any, make_user: Callable[..., User],
    console_errors: list[str], shots: Path,
) -> None:  # fmt: skip
    # given Olga, who owns the ERP's AP clerk role, Rita, and Adam of the service desk
    olga = make_user("olga", first_name="Olga")
    make_user("rita", first_name="Rita")
    adam = make_user("adam", Role.AGENT, first_name="Adam")
    desk = create_group(name="Service Desk", acting_user=None)
    set_members(desk, [adam], acting_user=None)
    erp_clerk_role(olga, desk)
    last_day = timezone.localdate() + dt.timedelta(days=10)

    # when Rita asks for the role from "My access", until a day 10 days ahead
    log_in(page, "rita")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="My access").click()
    expect(page.get_by_text("You hold no access roles.")).to_be_visible()
    page.get_by_role("link", name="Request access").first.click()
    page.get_by_role("link", name="ERP: AP clerk").click()
    page.get_by_label("Until").fill(last_day.isoformat())
    page.get_by_role("button", name="Order").click()
    # then her request waits for the owner's approval
    expect(page.get_by_test_id("item-state")).to_have_text("Awaiting approval")
    number = page.locator("h1").inner_text().split(":")[0]

    # when Olga approves it in "Waiting for my approval"
    owners = browser.new_context(base_url=live_server.url).new_page()
    log_in(owners, "olga")
    owners.get_by_role("link", name="Catalog", exact=True).click()
    owners.get_by_role("link", name="Waiting for my approval").click()
    owners.get_by_role("link", name=re.compile(rf"^{number}: ERP: AP clerk")).click()
    expect(owners.get_by_text(last_day.isoformat())).to_be_visible()
    owners.get_by_role("button", name="Approve").click()
    expect(owners.get_by_test_id("decided")).to_contain_text("approved")

    # and Adam of the service desk creates the account and completes the task
    desk_page = browser.new_context(base_url=live_server.url).new_page()
    log_in(desk_page, "adam")
    desk_page.goto("/desk/tasks/")
    desk_page.get_by_role("link", name=re.compile(r"^TASK")).click()
    desk_page.get_by_role("button", name="Complete the task").click()
    expect(desk_page.get_by_test_id("task-state")).to_have_text("Complete")

    # then the register shows Rita's grant with its last day (Adam finds it from his home)
    desk_page.goto("/")
    desk_page.get_by_role("link", name="Entitlement register").click()
    row = desk_page.get_by_test_id("entitlement-row").filter(has_text="rita")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("entitlement-until")).to_have_text(last_day.isoformat())
    expect(row.get_by_test_id("entitlement-state")).to_have_text("Active")
    expect(row.get_by_test_id("entitlement-mark")).to_have_text("Ends within 14 days")
    expect(row).to_contain_text(number)  # the request is its reason
    desk_page.screenshot(path=str(shots / "access-register-active.png"), full_page=True)
    entitlement = Entitlement.objects.get()
    # and Olga, who holds no staff role, finds the grants of her role from "My access"
    owners.goto("/portal/access/")
    owners.get_by_role("link", name="Grants of roles you own").click()
    expect(owners.get_by_test_id("entitlement-row")).to_contain_text(entitlement.number)
    # and Rita holds it, until that day
    page.goto("/portal/access/")
    expect(page.get_by_test_id("my-active")).to_contain_text(last_day.isoformat())

    # when time passes: the day after its last day, the expiry job runs
    assert expire_due(today=last_day + dt.timedelta(days=1)) == 1

    # then the register's active grants no longer hold it, and its expired ones do
    desk_page.reload()
    expect(desk_page.get_by_text("No entitlements here")).to_be_visible()
    desk_page.get_by_label("State").select_option("Expired")
    desk_page.get_by_role("button", name="Apply").click()
    row = desk_page.get_by_test_id("entitlement-row").filter(has_text=entitlement.number)
    expect(row.get_by_test_id("entitlement-state")).to_have_text("Expired")
    desk_page.screenshot(path=str(shots / "access-register-expired.png"), full_page=True)
    # and Rita's "My access" shows it ended, and why; its page tells the story
    page.reload()
    expect(page.get_by_test_id("my-active")).to_have_count(0)
    ended = page.get_by_test_id("my-ended").filter(has_text=entitlement.number)
    expect(ended.get_by_test_id("entitlement-state")).to_have_text("Expired")
    expect(ended).to_contain_text("Its end date passed.")
    page.get_by_role("link", name=entitlement.number).click()
    expect(page.get_by_test_id("history")).to_contain_text("State: Active → Expired")
    page.screenshot(path=str(shots / "access-my-access-ended.png"), full_page=True)
    for context in (owners.context, desk_page.context):
        context.close()
    assert console_errors == []
