"""The record page's SLA timeline in a real browser: a pause for "awaiting caller" and a holiday,
each a labelled interval. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from browser_steps import log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from watchkeeper.accounts import actions as accounts
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents import actions
from watchkeeper.sla import actions as sla
from watchkeeper.sla import definitions

pytestmark = pytest.mark.browser
ALL_DAY = [(day, dt.time(0), dt.time(0)) for day in range(7)]  # 00:00 to 00:00: the whole day


def test_the_timeline_shows_the_pause_and_the_holiday(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given a calendar open every day but a company holiday two days ago, and a resolution SLA
    definitions.forget()
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    requester = make_user("rita", Role.REQUESTER, first_name="Rita")
    desk = accounts.create_group(name="Service Desk", acting_user=None)
    accounts.set_members(desk, [agent], acting_user=None)
    today = timezone.now().astimezone(dt.UTC).date()
    holiday = today - dt.timedelta(days=2)
    calendar = sla.save_calendar(None, acting_user=None, hours=ALL_DAY, name="Every day (UTC)")
    sla.set_holiday(calendar, holiday, "Company day", acting_user=None)
    sla.save_definition(
        None, acting_user=None, name="Resolution", metric="resolution", calendar=calendar,
        pause_reasons=["awaiting_caller"], targets={None: 14 * 24 * 60},
    )  # fmt: skip

    # and an incident reported three days ago at 09:00 that waited for its caller 10:00-12:00
    start = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        incident = actions.create_incident(
            caller=requester, short_description="Laptop will not dock", acting_user=agent,
            channel="phone", assignment_group=desk,
        )  # fmt: skip
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        actions.put_on_hold(incident, reason="awaiting_caller", acting_user=agent)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        actions.start_work(incident, acting_user=agent)

    # when the agent opens the record page
    log_in(page, "adam")
    page.goto(f"/desk/incidents/{incident.number}/")

    # then the SLA card shows the clock running, with the pause and the holiday in its timeline
    card = page.locator("#sla")
    expect(card).to_contain_text("Resolution")
    expect(card).to_contain_text("Running")
    rows = card.locator(".sla-intervals tbody tr td:last-child")
    expect(rows).to_have_text(
        [
            "Running",
            "Paused: Awaiting caller",
            "Running",
            f"Outside business hours (includes Company day ({holiday:%d %b}))",
            "Running",
        ]
    )
    expect(card.locator(".sla-timeline__part--paused")).to_have_count(1)
    expect(card.locator(".sla-timeline__part--outside_hours")).to_have_count(1)
    card.scroll_into_view_if_needed()
    page.screenshot(path=shots / "sla-timeline-1280.png", full_page=True)
    assert console_errors == []
