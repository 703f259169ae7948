"""Acceptance: an agent selects three incidents in the workspace queue and creates a problem,
records its root cause and workaround on the problem page, and marks it a known error; the
incidents then show their problem. Screenshots go to ``test-artifacts/browser/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import create_incident
from watchkeeper.problems.models import Problem

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

pytestmark = pytest.mark.browser


def test_an_agent_creates_a_problem_from_three_incidents_and_marks_a_known_error(
    page: Page, make_user: Callable[..., User], console_errors: list[str]
) -> None:
    # given an agent and four open incidents, three of them about the same mail outage
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    caller = make_user("rita", Role.REQUESTER)
    incidents = {
        text: create_incident(
            caller=caller, short_description=text, acting_user=agent, channel=Channel.PHONE
        ).number
        for text in ("Mail stuck in outbox", "Mail bounces", "No new mail", "Printer jam")
    }
    mail = [number for text, number in incidents.items() if "ail" in text]

    # when the agent selects the three mail incidents in the workspace queue
    log_in(page, "adam")
    page.goto("/desk/?queue=open")
    for number in mail:
        page.get_by_label(f"Select {number}", exact=True).check()
    page.get_by_role("button", name="Create a problem from the selected incidents").click()

    # and opens the problem the form proposes with them
    expect(page.get_by_role("heading", level=1)).to_have_text("New problem")
    assert sorted(page.get_by_label("Incidents it causes").input_value().split()) == sorted(mail)
    page.get_by_label("Short description").fill("Mail relay rejects connections")
    page.get_by_label("Impact").select_option(label="2 - Medium")
    page.screenshot(path=ARTIFACTS / "problem-new.png", full_page=True)
    page.get_by_role("button", name="Open the problem").click()

    # then the problem page lists the three incidents
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail relay rejects connections")
    problem = Problem.objects.get()
    linked = page.get_by_test_id("linked-incidents")
    for number in mail:
        expect(linked.get_by_role("link", name=number)).to_be_visible()
    expect(linked).not_to_contain_text(incidents["Printer jam"])

    # when the agent records the root cause and the workaround
    page.get_by_text("Edit the analysis", exact=True).first.click()
    page.get_by_label("Root cause").fill("The relay's TLS certificate **expired**.")
    page.get_by_label("Workaround").fill("Send through the backup relay smtp2.")
    page.get_by_label("Five whys").fill("Why are mails rejected? | The TLS handshake fails")
    page.get_by_role("button", name="Edit the analysis").click()

    # then the analysis shows them
    expect(page.get_by_test_id("root-cause")).to_contain_text("certificate expired")
    expect(page.get_by_test_id("workaround")).to_contain_text("backup relay smtp2")
    expect(page.get_by_test_id("five-whys")).to_contain_text("The TLS handshake fails")

    # when it is marked a known error
    page.get_by_role("button", name="Mark as known error").click()

    # then the page says so and links the agents' article
    expect(page.get_by_role("status")).to_contain_text(f"{problem.number} is a known error")
    expect(page.get_by_test_id("known-error").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "problem-known-error.png", full_page=True)
    problem.refresh_from_db()
    assert problem.known_error and problem.article is not None
    expect(page.get_by_test_id("known-error-article")).to_have_text(problem.article.number)

    # and each incident's page shows its problem
    page.get_by_test_id("linked-incidents").get_by_role("link", name=mail[0]).click()
    expect(page.get_by_test_id("incident-problem")).to_contain_text(problem.number)
    expect(page.get_by_test_id("incident-problem")).to_contain_text("Known error")

    # and the workspace's Problems tab lists it as a known error
    page.goto("/desk/")
    page.get_by_test_id("workspace-tabs").get_by_role("link", name="Problems").click()
    row = page.get_by_test_id("problem-row").filter(has_text=problem.number)
    expect(row.get_by_test_id("known-error")).to_be_visible()
    assert console_errors == []
