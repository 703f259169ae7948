"""The alert console in a real browser: an agent acknowledges an alert and follows it to the
incident it opened. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.sources import create_source

pytestmark = pytest.mark.browser


def critical_alert() -> Alert:
    """A source that opens incidents for critical alerts, and one critical event from it."""
    source, _token = create_source(
        name="prometheus", incident_severities=["critical"], acting_user=None
    )
    ingest(
        source,
        [Incoming(resource="db01", check="disk", severity="critical", message="Disk 98% full")],
    )
    return Alert.objects.select_related("incident").get()


def test_an_agent_acknowledges_an_alert_and_follows_it_to_its_incident(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given a critical alert with its incident
    make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    alert = critical_alert()
    assert alert.incident is not None
    incident = alert.incident

    # when the agent opens the console from the navigation
    log_in(page, "adam")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    page.wait_for_url("**/events/")
    row = page.locator(f'tr[data-alert="{alert.number}"]')
    expect(row).to_contain_text("Disk 98% full")
    expect(row.get_by_test_id("alert-status")).to_have_text("Open")
    page.screenshot(path=shots / "alerts-console.png", full_page=True)

    # and acknowledges the alert
    row.get_by_role("button", name=f"Acknowledge {alert.number}").click()

    # then it is acknowledged, and says so
    expect(page.get_by_role("status")).to_contain_text(f"{alert.number} acknowledged.")
    expect(row.get_by_test_id("alert-status")).to_have_text("Acknowledged")
    expect(row.get_by_role("button", name=f"Unacknowledge {alert.number}")).to_be_visible()
    page.screenshot(path=shots / "alerts-acknowledged.png", full_page=True)

    # when the tool sends the event again, the console shows it without a reload (htmx, 10 s)
    source = alert.source
    ingest(source, [Incoming(resource="db01", check="disk", severity="critical", message="99%")])
    expect(row.locator('td[data-label="Count"]')).to_have_text("2", timeout=15_000)

    # when the agent opens the alert and follows its incident link
    row.get_by_role("link", name=alert.number).click()
    page.wait_for_url(f"**/events/{alert.number}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("db01 · disk")
    page.screenshot(path=shots / "alert-page.png", full_page=True)
    page.get_by_test_id("alert-incident").get_by_role("link", name=incident.number).click()

    # then the incident's page is shown
    page.wait_for_url(f"**/desk/incidents/{incident.number}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(incident.short_description)
    page.screenshot(path=shots / "alert-incident.png", full_page=True)
    assert console_errors == []
