"""Keeping the catalog over the API: service owners create and change categories and items,
replace an item's questions, approval levels and fulfilment steps; every problem is named by
field (a row by its index), nothing is half-written, ordered items are retired rather than
deleted, and nobody else may write."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.requests import actions
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)
from watchkeeper.requests.tests.helpers import client_for, post
from watchkeeper.sla.actions import save_calendar

API = "/api/v1/catalog"


def send(user: Any, method: str, path: str, body: object | None = None) -> Any:
    browser: Client = client_for(user)
    if method == "GET":
        return browser.get(path)
    call = getattr(browser, method.lower())
    return call(path, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def owner(make_user):
    return make_user("olga", Role.SERVICE_OWNER)


def test_a_service_owner_creates_a_category_and_an_item_with_every_field(
    owner, make_user, make_group
):
    # given a group that fulfils, a group that may order, an owner and a calendar
    desk = make_group("Service Desk")
    dave = make_user("dave", Role.RESOLVER)
    developers = make_group("Developers", members=(dave,))
    make_user("bob")
    save_calendar(None, acting_user=None, name="Office hours")

    # when Olga creates a category and an item in it
    made = post(owner, f"{API}/categories", {"name": "Software", "position": 2})
    assert made.status_code == 201, made.content
    category = made.json()
    answer = post(owner, f"{API}/items", {
        "category": "Software", "name": "IDE licence", "summary": "A developer's IDE",
        "description": "**Yearly**", "audience_roles": ["agent"],
        "audience_groups": ["Developers"], "fulfilment_group": "Service Desk", "cost": "99.50",
        "position": 3, "owner": "bob", "delivery_hours": 16,
        "delivery_calendar": "Office hours",
    })  # fmt: skip

    # then both are there, as sent
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert category == {
        "id": category["id"], "name": "Software", "description": "", "position": 2,
        "is_active": True,
    }  # fmt: skip
    assert body["category"] == {"id": category["id"], "name": "Software"}
    assert (body["audience_roles"], body["audience_groups"]) == (["agent"], ["Developers"])
    assert (body["fulfilment_group"], body["owner"], body["cost"]) == (
        "Service Desk",
        "bob",
        "99.50",
    )
    assert (body["delivery_hours"], body["delivery_calendar"]) == (16, "Office hours")
    assert (body["times_ordered"], body["is_active"], body["variables"]) == (0, True, [])
    item = CatalogItem.objects.get(name="IDE licence")
    assert item.fulfilment_group == desk and list(item.audience_groups.all()) == [developers]
    # and a developer may order it, a requester may not
    names = [row["name"] for row in client_for(dave).get(f"{API}/items").json()["items"]]
    assert names == ["IDE licence"]
    assert client_for(make_user()).get(f"{API}/items").json()["items"] == []


def test_changing_an_item_changes_only_what_is_sent_and_retiring_hides_it(
    owner, make_item, make_user
):
    # given an item with an owner, which a requester can see
    bob, rita = make_user("bob"), make_user("rita")
    item = make_item("Mouse", owner=bob, cost="10.00")
    assert client_for(rita).get(f"{API}/items/{item.pk}").status_code == 200

    # when Olga renames it, empties its owner, then retires it
    renamed = send(
        owner, "PATCH", f"{API}/items/{item.pk}", {"name": "Wireless mouse", "owner": None}
    )
    retired = send(owner, "PATCH", f"{API}/items/{item.pk}", {"is_active": False})

    # then only those fields changed, and nobody can order it any more
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Wireless mouse" and renamed.json()["owner"] is None
    assert renamed.json()["cost"] == "10.00" and renamed.json()["summary"] == "A Mouse"
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert client_for(rita).get(f"{API}/items/{item.pk}").status_code == 404
    # but Olga still reads its definition
    definition = client_for(owner).get(f"{API}/items/{item.pk}/definition")
    assert definition.status_code == 200 and definition.json()["name"] == "Wireless mouse"
    listed = client_for(owner).get("/api/v1/catalog/all-items").json()
    assert [(row["name"], row["is_active"]) for row in listed["items"]] == [
        ("Wireless mouse", False)
    ]


def test_an_item_with_problems_is_refused_with_each_field_named(owner, make_item):
    # given an item named Laptop
    make_item("Laptop")

    # when Olga sends unknown names, then values the model refuses
    unknown = post(owner, f"{API}/items", {
        "category": "Nope", "name": "Phone", "summary": "A phone",
        "audience_groups": ["Ghosts"], "owner": "nobody", "delivery_calendar": "Never",
    })  # fmt: skip
    wrong = post(owner, f"{API}/items", {
        "category": "Hardware", "name": "Laptop", "summary": "", "audience_roles": ["wizard"],
        "cost": "-1", "delivery_hours": 0,
    })  # fmt: skip

    # then
    assert unknown.status_code == 400, unknown.content
    assert set(unknown.json()["errors"]) == {
        "category", "audience_groups", "owner", "delivery_calendar"
    }  # fmt: skip
    assert unknown.json()["errors"]["owner"] == ["No user named 'nobody'."]
    assert wrong.status_code == 400, wrong.content
    assert {"name", "summary"} <= set(wrong.json()["errors"])
    wrong_values = post(owner, f"{API}/items", {
        "category": "Hardware", "name": "Phone", "summary": "A phone", "cost": "-1",
        "delivery_hours": 0,
    })  # fmt: skip
    assert set(wrong_values.json()["errors"]) == {"cost", "delivery_hours"}
    roles = post(owner, f"{API}/items", {
        "category": "Hardware", "name": "Phone", "summary": "A phone", "audience_roles": ["x"]
    })  # fmt: skip
    assert set(roles.json()["errors"]) == {"audience_roles"}
    assert CatalogItem.objects.count() == 1
    # and a malformed body is a 422 naming the field
    extra = post(owner, f"{API}/items", {"category": 1, "name": "A", "summary": "B", "colour": 1})
    assert extra.status_code == 422 and "colour" in extra.json()["detail"]


def test_categories_are_changed_and_only_an_empty_one_is_deleted(owner, make_item):
    # given a category with an item and an empty one
    make_item("Laptop", category="Hardware")
    hardware = CatalogCategory.objects.get(name="Hardware")
    empty = CatalogCategory.objects.create(name="Empty")

    # when Olga renames one, and deletes both
    renamed = send(owner, "PATCH", f"{API}/categories/{hardware.pk}", {"name": "Devices"})
    refused = send(owner, "DELETE", f"{API}/categories/{hardware.pk}")
    deleted = send(owner, "DELETE", f"{API}/categories/{empty.pk}")

    # then
    assert renamed.status_code == 200 and renamed.json()["name"] == "Devices"
    assert refused.status_code == 409 and "holds 1 item" in refused.json()["detail"]
    assert deleted.status_code == 204
    assert list(CatalogCategory.objects.values_list("name", flat=True)) == ["Devices"]
    duplicate = post(owner, f"{API}/categories", {"name": "Devices"})
    assert duplicate.status_code == 400 and list(duplicate.json()["errors"]) == ["name"]
    everything = client_for(owner).get("/api/v1/catalog/all-categories").json()
    assert [row["name"] for row in everything] == ["Devices"]


def test_an_ordered_item_is_retired_not_deleted(owner, make_item, make_user):
    # given an item that was ordered and one that never was
    ordered, unused = make_item("Laptop"), make_item("Fax")
    actions.order(acting_user=make_user("rita"), lines=[actions.Line(ordered, {})])

    # when Olga deletes both
    refused = send(owner, "DELETE", f"{API}/items/{ordered.pk}")
    deleted = send(owner, "DELETE", f"{API}/items/{unused.pk}")

    # then the ordered one stays
    assert refused.status_code == 409, refused.content
    assert "retire it instead" in refused.json()["detail"]
    assert deleted.status_code == 204
    assert list(CatalogItem.objects.values_list("name", flat=True)) == ["Laptop"]


def test_the_questions_are_replaced_in_the_order_sent(owner, make_item):
    # given an item with two questions
    item = make_item(
        "Laptop",
        {"name": "size", "label": "Size", "kind": "choice", "choices": ["13", "15"]},
        {"name": "notes", "label": "Notes"},
    )
    size_id = item.variables.get(name="size").pk

    # when Olga sends a new question first, the size with a third option, and not the notes
    answer = send(owner, "PUT", f"{API}/items/{item.pk}/variables", {"variables": [
        {"name": "when", "label": "Needed by", "kind": "date", "required": True,
         "help_text": "The day you start"},
        {"name": "size", "label": "Screen size", "kind": "choice", "choices": ["13", "15", "17"]},
    ]})  # fmt: skip

    # then the form is that list, in that order; the size question kept its row
    assert answer.status_code == 200, answer.content
    assert [(v["name"], v["label"]) for v in answer.json()["variables"]] == [
        ("when", "Needed by"), ("size", "Screen size")
    ]  # fmt: skip
    assert item.variables.get(name="size").pk == size_id
    assert list(item.variables.values_list("name", "position")) == [("when", 0), ("size", 1)]
    form = client_for(owner).get(f"{API}/items/{item.pk}").json()["variables"]
    assert form[1]["choices"] == ["13", "15", "17"] and form[0]["required"] is True


def test_wrong_questions_are_named_by_their_index_and_nothing_changes(owner, make_item):
    # given an item with one question
    item = make_item("Laptop", {"name": "size", "label": "Size"})

    # when Olga sends a choice without options, a name twice, a bad name and a bad kind
    answer = send(owner, "PUT", f"{API}/items/{item.pk}/variables", {"variables": [
        {"name": "ok", "label": "Fine"},
        {"name": "colour", "label": "Colour", "kind": "choice"},
        {"name": "ok", "label": "Again"},
        {"name": "Bad Name", "label": "Bad", "kind": "teleport", "minimum": 5, "maximum": 1},
    ]})  # fmt: skip

    # then each problem is named, and the form is as it was
    assert answer.status_code == 400, answer.content
    errors = answer.json()["errors"]
    assert errors["variables.1.choices"] == ["A choice needs its options: a list of texts."]
    assert errors["variables.2.name"] == ["Each question's name once."]
    assert {"variables.3.name", "variables.3.kind"} <= set(errors)
    assert "variables.0.name" not in errors
    assert list(item.variables.values_list("name", flat=True)) == ["size"]


def test_the_approval_levels_are_replaced_and_checked(owner, make_item, make_user, make_group):
    # given an item with one level, a group and a person
    item = make_item("Laptop")
    ApprovalStep.objects.create(item=item, level=1, approver_kind="owner")
    make_group("CAB")
    make_user("carl")

    # when Olga sets the manager, then a group (all must approve), then Carl
    answer = send(owner, "PUT", f"{API}/items/{item.pk}/approval-steps", {"approval_steps": [
        {"approver_kind": "manager"},
        {"approver_kind": "group", "group": "CAB", "rule": "all"},
        {"approver_kind": "user", "user": "carl"},
    ]})  # fmt: skip

    # then
    assert answer.status_code == 200, answer.content
    assert answer.json()["approval_steps"] == [
        {"level": 1, "approver_kind": "manager", "group": None, "user": None, "rule": "any"},
        {"level": 2, "approver_kind": "group", "group": "CAB", "user": None, "rule": "all"},
        {"level": 3, "approver_kind": "user", "group": None, "user": "carl", "rule": "any"},
    ]
    # and a level without its group, an unknown person, and a group for a manager are refused
    wrong = send(owner, "PUT", f"{API}/items/{item.pk}/approval-steps", {"approval_steps": [
        {"approver_kind": "group"}, {"approver_kind": "user", "user": "ghost"},
    ]})  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"approval_steps.1.user": ["No user named 'ghost'."]}
    mixed = send(owner, "PUT", f"{API}/items/{item.pk}/approval-steps", {"approval_steps": [
        {"approver_kind": "group"}, {"approver_kind": "manager", "group": "CAB"},
    ]})  # fmt: skip
    assert mixed.status_code == 400
    assert set(mixed.json()["errors"]) == {"approval_steps.0.group", "approval_steps.1.group"}
    # levels are positions in the list; from 1000 up they are exceptions beyond a policy
    high = ApprovalStep(item=item, level=1000, approver_kind="manager")
    with pytest.raises(ValidationError) as refused:
        high.full_clean()
    assert "level" in refused.value.message_dict
    assert item.approval_steps.count() == 3
    # and an empty list means no approval
    none = send(owner, "PUT", f"{API}/items/{item.pk}/approval-steps", {"approval_steps": []})
    assert none.status_code == 200 and not item.approval_steps.exists()


def test_fulfilment_steps_keep_their_webhook_secret_unless_it_is_replaced(
    owner, make_item, make_group
):
    # given an item and a group
    item = make_item("Mailbox")
    make_group("Messaging")
    url = f"{API}/items/{item.pk}/fulfilment-steps"

    # when Olga sets a signed webhook step and a manual one in parallel
    first = send(owner, "PUT", url, {"fulfilment_steps": [
        {"stage": 1, "title": "Create the mailbox", "webhook_url": "https://mail.example/hook",
         "webhook_secret": "s3cret"},
        {"stage": 1, "title": "Tell the user", "group": "Messaging", "instructions": "Call"},
    ]})  # fmt: skip

    # then the secret is kept but never shown
    assert first.status_code == 200, first.content
    assert "s3cret" not in first.content.decode()
    steps = first.json()["fulfilment_steps"]
    assert [(s["title"], s["has_webhook_secret"], s["group"]) for s in steps] == [
        ("Create the mailbox", True, None), ("Tell the user", False, "Messaging"),
    ]  # fmt: skip
    hook_id = steps[0]["id"]

    # when she renames the webhook step without sending its secret, and drops the other
    second = send(owner, "PUT", url, {"fulfilment_steps": [
        {"id": hook_id, "stage": 2, "title": "Create it", "webhook_url": "https://mail.example/hook"},
    ]})  # fmt: skip

    # then the same step keeps its secret; the other is gone
    assert second.status_code == 200, second.content
    step = FulfilmentStep.objects.get(item=item)
    assert (step.pk, step.title, step.stage, step.webhook_secret) == (
        hook_id,
        "Create it",
        2,
        "s3cret",
    )
    # and an empty secret removes it
    send(
        owner,
        "PUT",
        url,
        {"fulfilment_steps": [{"id": hook_id, "title": "Create it", "webhook_secret": ""}]},
    )
    assert FulfilmentStep.objects.get(pk=hook_id).webhook_secret == ""


def test_wrong_fulfilment_steps_are_named(owner, make_item):
    item, other = make_item("Mailbox"), make_item("Phone")
    foreign = FulfilmentStep.objects.create(item=other, title="Not yours")

    answer = send(owner, "PUT", f"{API}/items/{item.pk}/fulfilment-steps", {"fulfilment_steps": [
        {"id": foreign.pk, "title": "Steal"},
        {"stage": 0, "title": "", "webhook_url": "not a url"},
        {"title": "Fine", "group": "Nobody"},
    ]})  # fmt: skip

    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"] == {"fulfilment_steps.2.group": ["No group named 'Nobody'."]}
    answer = send(owner, "PUT", f"{API}/items/{item.pk}/fulfilment-steps", {"fulfilment_steps": [
        {"id": foreign.pk, "title": "Steal"},
        {"stage": 0, "title": "", "webhook_url": "not a url"},
    ]})  # fmt: skip
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {
        "fulfilment_steps.0.id", "fulfilment_steps.1.stage", "fulfilment_steps.1.title",
        "fulfilment_steps.1.webhook_url",
    }  # fmt: skip
    assert FulfilmentStep.objects.get(pk=foreign.pk).title == "Not yours"
    assert not item.fulfilment_steps.exists()


WRITES = [
    ("POST", "/categories", {"name": "X"}),
    ("PATCH", "/categories/{category}", {"name": "X"}),
    ("DELETE", "/categories/{category}", None),
    ("POST", "/items", {"category": "Hardware", "name": "X", "summary": "X"}),
    ("PATCH", "/items/{item}", {"name": "X"}),
    ("DELETE", "/items/{item}", None),
    ("PUT", "/items/{item}/variables", {"variables": []}),
    ("PUT", "/items/{item}/approval-steps", {"approval_steps": []}),
    ("PUT", "/items/{item}/fulfilment-steps", {"fulfilment_steps": []}),
    ("GET", "/items/{item}/definition", None),
    ("GET", "/all-items", None),
    ("GET", "/all-categories", None),
]


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.RESOLVER])
def test_only_catalog_keepers_write(role, make_user, make_item):
    # given an item with a question, and someone who does not keep the catalog
    item = make_item("Laptop", {"name": "size", "label": "Size"})
    someone = make_user("someone", role)

    # when they try every write (and the keepers' reads)
    for method, path, body in WRITES:
        full = API + path.format(category=item.category_id, item=item.pk)
        answer = send(someone, method, full, body)
        # then each is refused
        assert answer.status_code == 403, (method, path, answer.content)
    assert CatalogItem.objects.get().name == "Laptop"
    assert CatalogVariable.objects.filter(item=item).count() == 1
    assert CatalogCategory.objects.count() == 1


def test_an_unknown_item_is_not_found(owner):
    assert send(owner, "PATCH", f"{API}/items/999999", {"name": "X"}).status_code == 404
    assert (
        send(owner, "PUT", f"{API}/items/{2**62}/variables", {"variables": []}).status_code == 404
    )


def test_each_change_is_in_the_items_history_with_who_and_what(owner, make_item):
    item = make_item("Laptop")
    send(owner, "PATCH", f"{API}/items/{item.pk}", {"summary": "A better laptop"})
    send(owner, "PUT", f"{API}/items/{item.pk}/variables", {"variables": [
        {"name": "size", "label": "Size", "kind": "text"}]})  # fmt: skip
    changed, questions = history_of(item).filter(action="changed")
    assert (changed.actor_label, changed.channel) == ("olga", "api")
    assert changed.changes["summary"] == {"old": "A Laptop", "new": "A better laptop"}
    assert [q["name"] for q in questions.changes["variables"]["new"]] == ["size"]
    category = item.category
    send(owner, "DELETE", f"{API}/items/{item.pk}")
    send(owner, "DELETE", f"{API}/categories/{category.pk}")
    assert not verify_history()  # the deleted rows' chains end with "deleted"


def test_the_operations_are_in_the_openapi_description(owner):
    paths = client_for(owner).get("/api/v1/openapi.json").json()["paths"]
    items = paths["/api/v1/catalog/items"]
    assert items["get"]["operationId"] == "list_catalog_items"
    assert items["post"]["operationId"] == "create_catalog_item"
    assert paths["/api/v1/catalog/items/{item_id}"]["patch"]["operationId"] == "update_catalog_item"
    assert "put" in paths["/api/v1/catalog/items/{item_id}/fulfilment-steps"]
    assert "delete" in paths["/api/v1/catalog/categories/{category_id}"]


def test_values_the_database_cannot_hold_are_refused_by_field(owner, make_item):
    item = make_item("Laptop")
    huge = 2**63

    too_big = send(owner, "PATCH", f"{API}/items/{item.pk}", {
        "position": huge, "delivery_hours": huge, "cost": "1e20", "name": "x" * 201,
    })  # fmt: skip
    variables = send(owner, "PUT", f"{API}/items/{item.pk}/variables", {"variables": [
        {"name": "n", "label": "N", "kind": "number", "minimum": "1e30"},
    ]})  # fmt: skip
    steps = send(owner, "PUT", f"{API}/items/{item.pk}/fulfilment-steps", {"fulfilment_steps": [
        {"id": huge, "title": "T", "stage": huge},
    ]})  # fmt: skip

    assert too_big.status_code == 400, too_big.content
    assert set(too_big.json()["errors"]) == {"position", "delivery_hours", "cost", "name"}
    assert variables.status_code == 400
    assert set(variables.json()["errors"]) == {"variables.0.minimum"}
    assert steps.status_code == 400, steps.content
    assert set(steps.json()["errors"]) == {"fulfilment_steps.0.id", "fulfilment_steps.0.stage"}
    assert send(owner, "DELETE", f"{API}/items/{2**64}").status_code == 404
    assert CatalogItem.objects.get().name == "Laptop"
