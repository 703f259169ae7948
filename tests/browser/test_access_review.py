"""An access review in a real browser: the access manager starts a campaign over the ERP, the
role's owner revokes one grant and confirms another on the campaign page, and the access manager
closes the campaign and downloads the CSV evidence, which shows the revoked grant as revoked.
Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_steps import log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from watchkeeper.access.models import Entitlement
from watchkeeper.access.tests.review_world import world
from watchkeeper.accounts.models import User

pytestmark = pytest.mark.browser


def test_a_campaign_revokes_a_grant_and_the_export_shows_it(
    page: Page, browser: Any, live_server: Any, make_user: Callable[..., User],
    console_errors: list[str], shots: Path,
) -> None:  # fmt: skip
    # given Olga, who owns the ERP's roles, and Alex, the access manager
    w = world(make_user)
    rita_clerk, sam_payer = w["rita_clerk"].number, w["sam_payer"].number
    due = timezone.localdate() + dt.timedelta(days=14)

    # when Alex starts a campaign over the ERP
    log_in(page, "alex")
    page.goto("/access/reviews/")
    page.get_by_label("Name").fill("ERP Q3")
    page.get_by_label("Systems").select_option(label=f"ERP ({w['erp'].number})")
    page.get_by_label("Due date").fill(due.isoformat())
    page.screenshot(path=str(shots / "access-review-start-form.png"), full_page=True)
    page.get_by_role("button", name="Start the campaign").click()
    expect(page.get_by_test_id("review-state")).to_have_text("Open")
    expect(page.get_by_test_id("review-counts")).to_contain_text("3 grants")
    number = page.locator(".record-number").inner_text().split("/")[-1].strip()
    assert number.startswith("REV")
    page.screenshot(path=str(shots / "access-review-started.png"), full_page=True)

    # then Olga, on the campaign page, revokes Rita's grant and confirms Sam's
    olgas = browser.new_context(base_url=live_server.url).new_page()
    log_in(olgas, "olga")
    olgas.goto(f"/access/reviews/{number}/")
    rita_row = olgas.locator(f'[data-entitlement="{rita_clerk}"]')
    rita_row.get_by_label(f"Comment on {rita_clerk}").fill("Moved to sales in March")
    rita_row.get_by_role("button", name=f"Revoke {rita_clerk}").click()
    expect(olgas.get_by_text(f"{rita_clerk} revoked.")).to_be_visible()
    sam_row = olgas.locator(f'[data-entitlement="{sam_payer}"]')
    sam_row.get_by_role("button", name=f"Confirm {sam_payer}").click()
    expect(olgas.get_by_text(f"{sam_payer} confirmed.")).to_be_visible()
    expect(olgas.locator(f'[data-entitlement="{rita_clerk}"]')).to_contain_text("Revoked")
    expect(olgas.get_by_test_id("review-completion")).to_have_text("100% reviewed")
    olgas.screenshot(path=str(shots / "access-review-decided.png"), full_page=True)
    olgas.context.close()
    assert Entitlement.objects.get(number=rita_clerk).state == "revoked"

    # and Alex closes the campaign and downloads the CSV evidence
    page.goto(f"/access/reviews/{number}/")
    page.get_by_role("button", name="Close the campaign").click()
    expect(page.get_by_test_id("review-state")).to_have_text("Closed")
    expect(page.get_by_test_id("review-counts")).to_contain_text(
        "1 confirmed, 1 revoked, 1 not reviewed"
    )
    page.screenshot(path=str(shots / "access-review-closed.png"), full_page=True)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Export CSV").click()
    download = downloading.value
    assert download.suggested_filename == f"{number}-access-review.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    revoked = next(row for row in rows if row["Entitlement"] == rita_clerk)
    assert (revoked["Decision"], revoked["Entitlement state now"], revoked["Comment"]) == (
        "Revoked", "Revoked", "Moved to sales in March",
    )  # fmt: skip
    confirmed = next(row for row in rows if row["Entitlement"] == sam_payer)
    assert (confirmed["Decision"], confirmed["Entitlement state now"]) == ("Confirmed", "Active")
    assert console_errors == []
