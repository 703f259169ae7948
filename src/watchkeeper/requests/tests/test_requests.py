"""Ordering from the catalog and following the request: who may order what for whom, every
problem named, a request that closes with its items, cancelling, history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests.models import ServiceRequest
from watchkeeper.requests.tests.helpers import client_for, post

SIZE = {"name": "size", "label": "Size", "kind": "choice", "choices": ["13", "15"],
        "required": True}  # fmt: skip


@pytest.fixture
def shop(make_item, make_user, make_group):
    """A requester, an agent of the fulfilment group, a laptop and a mouse."""
    agent = make_user("adam", Role.AGENT)
    servers = make_group("Servers", members=(agent,))
    laptop = make_item("Laptop", SIZE, fulfilment_group=servers, cost="1200.00")
    mouse = make_item("Mouse", fulfilment_group=servers)
    return {"rita": make_user("rita"), "adam": agent, "laptop": laptop, "mouse": mouse}


def test_a_requester_orders_two_items_and_the_request_closes_when_both_are_delivered(shop):
    rita, adam = shop["rita"], shop["adam"]
    # when Rita orders a laptop and two mice
    answer = post(rita, "/api/v1/requests", {"items": [
        {"item": shop["laptop"].pk, "answers": {"size": "15"}},
        {"item": shop["mouse"].pk, "quantity": 2},
    ]})  # fmt: skip
    # then a request is open with both items in fulfilment
    assert answer.status_code == 201, answer.content
    body = answer.json()
    number = body["number"]
    assert number.startswith("REQ") and body["state"] == "open"
    assert (body["requested_by"], body["requested_for"]) == ("rita", "rita")
    assert body["short_description"] == "Laptop and 1 more item"
    assert [(i["item"], i["quantity"], i["answers"], i["state"], i["fulfilment_group"])
            for i in body["items"]] == [
        ("Laptop", 1, {"size": "15"}, "in_fulfilment", "Servers"),
        ("Mouse", 2, {}, "in_fulfilment", "Servers"),
    ]  # fmt: skip
    assert body["items"][0]["unit_cost"] == "1200.00"
    # when the agent delivers each
    done = f"/api/v1/requests/{number}/items/%d/complete"
    first = post(adam, done % 1, {"notes": "Handed over at the desk"})
    assert first.status_code == 200 and first.json()["state"] == "open"
    second = post(adam, done % 2, {})
    # then the request is closed complete, and Rita sees it so
    assert second.json()["state"] == "closed_complete" and second.json()["closed_at"]
    mine = client_for(rita).get("/api/v1/requests?open=false").json()["items"]
    assert [r["number"] for r in mine] == [number]
    history = history_of(ServiceRequest.objects.get(number=number))
    assert [entry.action for entry in history] == ["created", "updated", "updated"]
    assert history[1].changes["notes"]["new"] == "Handed over at the desk"
    assert history[2].changes["state"] == {"old": "open", "new": "closed_complete"}
    assert verify_history() == []


def test_every_problem_of_an_order_is_named_and_nothing_is_ordered(shop, make_item):
    hidden = make_item("Server room key", audience_roles=[Role.RESOLVER])
    answer = post(shop["rita"], "/api/v1/requests", {"items": [
        {"item": shop["laptop"].pk, "answers": {"size": "17"}},
        {"item": hidden.pk},
        {"item": 999999},
    ]})  # fmt: skip
    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"] == {"items.3.item": ["No catalog item has this id."]}
    answer = post(shop["rita"], "/api/v1/requests", {"items": [
        {"item": shop["laptop"].pk, "answers": {"size": "17", "colour": "red"}},
        {"item": hidden.pk},
    ]})  # fmt: skip
    assert answer.json()["errors"] == {
        "items.1.answers.size": ["Choose one of: 13, 15."],
        "items.1.answers.colour": ["This item's form has no such question."],
        "items.2.item": ["Server room key is not in rita's catalog."],
    }
    assert post(shop["rita"], "/api/v1/requests", {"items": []}).status_code == 422
    assert not ServiceRequest.objects.exists()


def test_ordering_for_someone_else_takes_the_service_desk_or_their_manager(shop, make_user):
    rita = shop["rita"]
    boss = make_user("bob")
    newcomer = make_user("nick", manager=boss)
    body = {"requested_for": "nick", "items": [{"item": shop["mouse"].pk}]}
    assert post(rita, "/api/v1/requests", body).status_code == 403
    by_manager = post(boss, "/api/v1/requests", body)
    by_desk = post(shop["adam"], "/api/v1/requests", body)
    assert by_manager.status_code == by_desk.status_code == 201, by_manager.content
    assert by_desk.json()["requested_by"] == "adam" and by_desk.json()["requested_for"] == "nick"
    # the newcomer sees both requests made for them; Rita sees neither
    theirs = client_for(newcomer).get("/api/v1/requests").json()["items"]
    assert len(theirs) == 2
    assert client_for(rita).get("/api/v1/requests").json()["items"] == []
    number = by_desk.json()["number"]
    assert client_for(rita).get(f"/api/v1/requests/{number}").status_code == 404
    unknown = post(shop["adam"], "/api/v1/requests", {**body, "requested_for": "ghost"})
    assert unknown.status_code == 400 and "requested_for" in unknown.json()["errors"]


def test_cancelling_closes_what_is_open_and_a_closed_request_stays_closed(shop):
    rita, adam = shop["rita"], shop["adam"]
    number = post(rita, "/api/v1/requests", {"items": [
        {"item": shop["laptop"].pk, "answers": {"size": "13"}}, {"item": shop["mouse"].pk},
    ]}).json()["number"]  # fmt: skip
    post(adam, f"/api/v1/requests/{number}/items/2/complete", {})
    stale = post(rita, f"/api/v1/requests/{number}/cancel", {"reason": "No longer", "version": 1})
    assert stale.status_code == 409, stale.content
    cancelled = post(rita, f"/api/v1/requests/{number}/cancel", {"reason": "No longer"})
    assert cancelled.status_code == 200, cancelled.content
    body = cancelled.json()
    assert body["state"] == "closed_incomplete"
    assert [i["state"] for i in body["items"]] == ["cancelled", "complete"]
    again = post(rita, f"/api/v1/requests/{number}/cancel", {"reason": "Twice"})
    assert again.status_code == 400 and "already closed" in again.json()["detail"]
    late = post(adam, f"/api/v1/requests/{number}/items/1/complete", {})
    assert late.status_code == 400 and "not in fulfilment" in late.json()["detail"]


def test_only_fulfilers_complete_items_and_strangers_cannot_cancel(shop, make_user):
    rita = shop["rita"]
    number = post(rita, "/api/v1/requests", {"items": [{"item": shop["mouse"].pk}]}).json()[
        "number"
    ]
    own = post(rita, f"/api/v1/requests/{number}/items/1/complete", {})
    assert own.status_code == 403
    auditor = make_user("aude", Role.AUDITOR)
    assert client_for(auditor).get(f"/api/v1/requests/{number}").status_code == 200
    refused = post(auditor, f"/api/v1/requests/{number}/cancel", {"reason": "Because"})
    assert refused.status_code == 403
    assert ServiceRequest.objects.get(number=number).state == "open"


def test_listing_requests_costs_the_same_queries_for_one_or_many(shop):
    rita = shop["rita"]
    browser = client_for(rita)
    body = {"items": [{"item": shop["laptop"].pk, "answers": {"size": "13"}},
                      {"item": shop["mouse"].pk}]}  # fmt: skip
    post(rita, "/api/v1/requests", body)
    with CaptureQueriesContext(connection) as one:
        assert len(browser.get("/api/v1/requests").json()["items"]) == 1
    for _ in range(5):
        post(rita, "/api/v1/requests", body)
    with CaptureQueriesContext(connection) as six:
        assert len(browser.get("/api/v1/requests").json()["items"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries) <= 12
