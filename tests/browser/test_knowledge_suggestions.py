"""Article suggestions in a real browser: a requester typing "cannot connect to the VPN from
home" in the report form sees the VPN article suggested (not the printer one), opens it in a
new tab, then says it solved her problem: no incident is created and it counts as a deflection.
Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_steps import log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents.models import Incident
from watchkeeper.knowledge import deflection
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import ArticleUse
from watchkeeper.knowledge.tests.test_suggest import publish

pytestmark = pytest.mark.browser
VPN = "Connect to the VPN from home"


def test_a_requester_typing_a_matching_description_sees_the_article(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given a VPN article and a printer article, and Rita
    kim = make_user("kim", Role.AGENT)
    publish(kim, VPN, "Start **AnyConnect**, enter vpn.example.org and approve the sign-in.",
            keywords="vpn remote access")  # fmt: skip
    publish(kim, "Add a network printer", "Open Settings, Printers.", keywords="printer")
    make_user("rita", Role.REQUESTER, first_name="Rita")

    # when Rita starts reporting an incident and types what is wrong
    log_in(page, "rita")
    page.goto("/portal/report/")
    page.get_by_label("What is not working?").press_sequentially(
        "cannot connect to the VPN from home", delay=15
    )

    # then the VPN article is suggested while she types, and not the printer one
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion.get_by_role("link")).to_contain_text(VPN)
    page.screenshot(path=str(shots / "knowledge-suggested.png"), full_page=True)

    # when she opens it: it opens in a new tab, on the portal's article page
    with page.context.expect_page() as opened:
        suggestion.get_by_role("link").click()
    article = opened.value
    article.wait_for_load_state()
    expect(article.get_by_role("heading", name=VPN)).to_be_visible()
    article.close()

    # and says it solved her problem
    suggestion.get_by_role("button", name="This solved my problem").click()

    # then she is thanked, no incident exists, and it is a deflection
    expect(page.get_by_test_id("solved")).to_contain_text("No incident was created")
    page.screenshot(path=str(shots / "knowledge-solved.png"), full_page=True)
    kinds = sorted(ArticleUse.objects.values_list("kind", flat=True))
    assert kinds == sorted([UseKind.SUGGESTED, UseKind.OPENED, UseKind.SOLVED])
    assert not Incident.objects.exists()
    now = timezone.now()
    assert deflection.count(now - dt.timedelta(hours=1), now + dt.timedelta(minutes=1)) == 1
    assert console_errors == []
