"""The CMDB in a real browser: from an incident to its configuration item, to the service map,
and the services the item's failure stops. Screenshots go to /tmp/wk-shots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_steps import log_in
from playwright.sync_api import Page, expect

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.actions import add_relation, create_ci, set_subscribers
from watchkeeper.cmdb.choices import CiClass, RelationType
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.browser


def small_cmdb(agent: User, caller: User) -> tuple[dict[str, ConfigurationItem], Incident]:
    """E-mail depends on mail-app, which runs on srv-01, hosted on hv-01; srv-01 has an incident."""
    made = {
        name: create_ci(name=name, ci_class=ci_class, acting_user=None)
        for name, ci_class in [
            ("E-mail", CiClass.BUSINESS_SERVICE),
            ("mail-app", CiClass.APPLICATION),
            ("srv-01", CiClass.SERVER),
            ("hv-01", CiClass.SERVER),
        ]
    }
    add_relation(made["E-mail"], RelationType.DEPENDS_ON, made["mail-app"], acting_user=None)
    add_relation(made["mail-app"], RelationType.RUNS_ON, made["srv-01"], acting_user=None)
    add_relation(made["srv-01"], RelationType.HOSTED_ON, made["hv-01"], acting_user=None)
    set_subscribers(made["E-mail"], [caller], acting_user=None)
    incident = create_incident(
        caller=caller, short_description="Mail server unreachable", acting_user=agent,
        channel="phone", configuration_item=made["srv-01"],
    )  # fmt: skip
    return made, incident


def test_an_agent_walks_from_an_incident_to_its_item_to_the_service_map(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given a small CMDB and an incident on the server
    agent = make_user("adam", Role.AGENT, first_name="Adam", last_name="Agent")
    caller = make_user("rita", Role.REQUESTER, first_name="Rita", last_name="Requester")
    made, incident = small_cmdb(agent, caller)
    srv, mail = made["srv-01"], made["E-mail"]

    # when the agent opens the incident
    log_in(page, "adam")
    page.goto(f"/desk/incidents/{incident.number}/")

    # then it names the server and the service its failure stops
    expect(page.locator("#impact").get_by_test_id("impacted-services")).to_contain_text("E-mail")
    page.screenshot(path=shots / "cmdb-incident-impact-1280.png", full_page=True)

    # when they follow the server's link
    page.get_by_test_id("incident-ci").click()
    page.wait_for_url(f"**/cmdb/{srv.number}/")

    # then the server's page shows its relations both ways and what fails with it
    expect(page.get_by_role("heading", level=1)).to_have_text("srv-01")
    expect(page.get_by_test_id("outgoing")).to_contain_text("srv-01 hosted on hv-01")
    expect(page.get_by_test_id("incoming")).to_contain_text("srv-01 runs mail-app")
    expect(page.locator("#impact")).to_contain_text(
        "E-mail depends on mail-app, which runs on srv-01"
    )
    expect(page.locator("#impact")).to_contain_text("1 subscribed: Rita Requester")
    page.screenshot(path=shots / "cmdb-item-1280.png", full_page=True)

    # when they open its service map
    page.get_by_role("link", name="Service map", exact=True).click()
    page.wait_for_url(f"**/cmdb/{srv.number}/map/")

    # then the picture shows the server and what it rests on, and E-mail is impacted
    picture = page.locator("svg.service-map__picture")
    expect(picture).to_be_visible()
    expect(picture.locator("a[data-ci]")).to_have_count(2)
    expect(picture.locator(f'a[data-ci="{made["hv-01"].number}"]')).to_contain_text("hv-01")
    expect(page.get_by_test_id("impacted-services")).to_contain_text("E-mail")
    page.screenshot(path=shots / "cmdb-map-server-1280.png", full_page=True)

    # when they open the map of the impacted service
    page.get_by_role("link", name="map of E-mail").click()
    page.wait_for_url(f"**/cmdb/{mail.number}/map/")

    # then the whole stack is drawn, one linked box per item, and a box opens its item
    expect(picture.locator("a[data-ci]")).to_have_count(4)
    expect(picture).to_contain_text("mail-app")
    page.screenshot(path=shots / "cmdb-map-service-1280.png", full_page=True)
    picture.locator(f'a[data-ci="{made["mail-app"].number}"]').click()
    page.wait_for_url(f"**/cmdb/{made['mail-app'].number}/")
    assert console_errors == []


def test_the_item_page_and_the_map_fit_a_narrow_screen(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given the small CMDB
    agent = make_user("adam", Role.AGENT, first_name="Adam")
    made, _ = small_cmdb(agent, make_user("rita", Role.REQUESTER))
    log_in(page, "adam")
    page.set_viewport_size({"width": 360, "height": 740})

    # when the server's page, the service's page and the service's map are shown 360 px wide
    for address, name in [
        (f"/cmdb/{made['srv-01'].number}/", "cmdb-item-360"),
        (f"/cmdb/{made['E-mail'].number}/map/", "cmdb-map-360"),
        ("/cmdb/", "cmdb-list-360"),
    ]:
        page.goto(address)
        page.screenshot(path=shots / f"{name}.png", full_page=True)

        # then nothing scrolls sideways but the picture inside its own frame
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, address
    assert console_errors == []


def test_choosing_a_class_shows_its_attributes_in_place(
    page: Page, make_user: Callable[..., User], console_errors: list[str], shots: Path
) -> None:
    # given a service owner on the new-item form
    make_user("oscar", Role.SERVICE_OWNER, first_name="Oscar")
    log_in(page, "oscar")
    page.goto("/cmdb/new/")
    page.get_by_label("Name", exact=True).fill("orders-db")

    # when they choose the class "Database"
    page.get_by_label("Class", exact=True).select_option("database")

    # then the database's attributes replace the service's, and what was typed stays
    expect(page.get_by_label("Engine")).to_be_visible()
    expect(page.get_by_label("Users (estimate)")).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_value("orders-db")
    page.get_by_label("Engine").fill("PostgreSQL")
    page.get_by_role("spinbutton", name="Port").fill("5432")
    page.screenshot(path=shots / "cmdb-form-1280.png", full_page=True)

    # when they create it
    page.get_by_role("button", name="Create").click()

    # then its page shows the attributes
    expect(page.get_by_role("heading", level=1)).to_have_text("orders-db")
    expect(page.locator(".details-list").last).to_contain_text("PostgreSQL")
    assert ConfigurationItem.objects.get(name="orders-db").attributes == {
        "engine": "PostgreSQL",
        "port": 5432,
    }
    assert console_errors == []
