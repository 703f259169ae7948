"""The catalog editor's pages: only catalog keepers open them; an item is created, its questions,
approval levels and fulfilment steps saved from formsets in the order shown, and a problem is
shown beside its row's field without saving anything."""

from __future__ import annotations

import re
from typing import Any

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.requests import actions
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    FulfilmentStep,
)
from watchkeeper.requests.tests.helpers import client_for

EDITOR = "/desk/catalog/"


def rows(prefix: str, *filled: dict[str, Any], initial: int = 0) -> dict[str, str]:
    """A formset's POST data: the management form and each row's fields."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(filled)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(filled):
        data.update({f"{prefix}-{index}-{name}": str(value) for name, value in row.items()})
    return data


@pytest.fixture
def owner(make_user):
    return make_user("olga", Role.SERVICE_OWNER)


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT])
def test_only_catalog_keepers_open_the_editor(role, owner, make_user, make_item):
    # given an item, a service owner and someone else
    item = make_item("Laptop")
    pages = [
        EDITOR, f"{EDITOR}categories/", f"{EDITOR}categories/{item.category_id}/",
        f"{EDITOR}items/new/", f"{EDITOR}items/{item.pk}/",
    ]  # fmt: skip
    keeper, other = client_for(owner), client_for(make_user("someone", role))

    # then the owner opens every page, the other none, and may not post either
    for page in pages:
        assert keeper.get(page).status_code == 200, page
        assert other.get(page).status_code == 403, page
    assert other.post(f"{EDITOR}items/{item.pk}/delete/").status_code == 403
    assert other.post(f"{EDITOR}items/{item.pk}/questions/", rows("variables")).status_code == 403
    assert CatalogItem.objects.filter(pk=item.pk).exists()
    anonymous = client_for(make_user("temp"))
    anonymous.logout()
    assert anonymous.get(EDITOR)["Location"].startswith("/login")


def test_the_editor_lists_items_by_category_retired_ones_too(owner, make_item):
    make_item("Laptop", category="Hardware")
    make_item("Fax machine", category="Hardware", is_active=False)
    CatalogCategory.objects.create(name="Empty one")

    page = client_for(owner).get(EDITOR).content.decode()

    assert "Laptop" in page and "Fax machine" in page and "Retired" in page
    assert "Empty one" in page and "No items yet." in page
    assert 'href="/desk/catalog/items/new/"' in page


def test_a_category_and_an_item_are_created_from_their_forms(owner, make_group):
    keeper = client_for(owner)
    make_group("Service Desk")

    created = keeper.post(
        f"{EDITOR}categories/", {"name": "Hardware", "position": "1", "is_active": "on"}
    )
    duplicate = keeper.post(f"{EDITOR}categories/", {"name": "Hardware", "position": "1"})
    category = CatalogCategory.objects.get()
    item = keeper.post(f"{EDITOR}items/new/", {
        "category": category.pk, "name": "Laptop", "summary": "A standard laptop",
        "position": "0", "is_active": "on", "audience_roles": ["agent"], "cost": "1200",
        "owner": "olga", "delivery_hours": "16",
    })  # fmt: skip

    assert created.status_code == 302 and duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
    laptop = CatalogItem.objects.get()
    assert item.status_code == 302 and item["Location"] == f"{EDITOR}items/{laptop.pk}/"
    assert (laptop.audience_roles, laptop.owner, laptop.delivery_hours) == (["agent"], owner, 16)
    wrong = keeper.post(f"{EDITOR}items/{laptop.pk}/", {
        "category": category.pk, "name": "Laptop", "summary": "", "position": "0",
        "owner": "nobody",
    })  # fmt: skip
    assert wrong.status_code == 400
    assert "No user has the username or e-mail" in wrong.content.decode()
    assert CatalogItem.objects.get().summary == "A standard laptop"


def test_saving_questions_creates_them_in_the_order_shown(owner, make_item):
    # given an item without questions
    item = make_item("Laptop")
    keeper = client_for(owner)

    # when Olga fills two rows, the second ordered first, and leaves an empty row
    answer = keeper.post(f"{EDITOR}items/{item.pk}/questions/", rows(
        "variables",
        {"label": "Screen size", "name": "size", "kind": "choice", "choices": "13 inch\n15 inch\n",
         "required": "on", "ORDER": "2"},
        {"label": "Needed by", "name": "needed_by", "kind": "date", "ORDER": "1"},
        {"kind": "text"},
    ))  # fmt: skip

    # then both are saved, in that order, and the page shows them
    assert answer.status_code == 302, answer.content.decode()
    assert answer["Location"] == f"{EDITOR}items/{item.pk}/#questions"
    saved = list(item.variables.values_list("name", "position", "choices", "required"))
    assert saved == [("needed_by", 0, [], False), ("size", 1, ["13 inch", "15 inch"], True)]
    page = keeper.get(answer["Location"]).content.decode()
    assert 'value="needed_by"' in page and "The questions were saved." in page

    # when she removes the first and renames the second's label
    again = keeper.post(f"{EDITOR}items/{item.pk}/questions/", rows(
        "variables",
        {"label": "Needed by", "name": "needed_by", "kind": "date", "ORDER": "1", "DELETE": "on"},
        {"label": "Size", "name": "size", "kind": "choice", "choices": "13 inch\n15 inch",
         "ORDER": "2"},
        initial=2,
    ))  # fmt: skip
    assert again.status_code == 302
    assert list(item.variables.values_list("name", "label")) == [("size", "Size")]


def test_a_wrong_question_is_shown_beside_its_field_and_nothing_is_saved(owner, make_item):
    item = make_item("Laptop")

    answer = client_for(owner).post(f"{EDITOR}items/{item.pk}/questions/", rows(
        "variables",
        {"label": "Fine", "name": "fine", "kind": "text", "ORDER": "1"},
        {"label": "Colour", "name": "colour", "kind": "choice", "ORDER": "2"},
    ))  # fmt: skip

    assert answer.status_code == 400
    page = answer.content.decode()
    # the message sits in the second row's options field, before its textarea
    options = re.search(
        r'<div class="field field--invalid">\s*<label for="id_variables-1-choices">.*?</textarea>',
        page,
        re.S,
    )
    assert options and "A choice needs its options" in options.group(0)
    assert not item.variables.exists()


def test_approval_levels_and_fulfilment_steps_are_saved(owner, make_item, make_group):
    item = make_item("Laptop")
    cab = make_group("CAB")
    keeper = client_for(owner)

    levels = keeper.post(f"{EDITOR}items/{item.pk}/approvals/", rows(
        "levels",
        {"approver_kind": "manager", "rule": "any", "ORDER": "1"},
        {"approver_kind": "group", "group": cab.pk, "rule": "all", "ORDER": "2"},
        {"approver_kind": "", "rule": "any"},
    ))  # fmt: skip
    steps = keeper.post(f"{EDITOR}items/{item.pk}/fulfilment/", rows(
        "steps",
        {"stage": "1", "title": "Order it", "webhook_url": "https://shop.example/hook",
         "webhook_secret": "s3cret", "ORDER": "1"},
        {"stage": "2", "title": "Hand it over", "group": cab.pk, "ORDER": "2"},
    ))  # fmt: skip

    assert levels.status_code == 302 and steps.status_code == 302
    saved = list(item.approval_steps.values_list("level", "approver_kind", "group", "rule"))
    assert saved == [(1, "manager", None, "any"), (2, "group", cab.pk, "all")]
    hook = FulfilmentStep.objects.get(item=item, stage=1)
    assert hook.webhook_secret == "s3cret"
    page = keeper.get(f"{EDITOR}items/{item.pk}/").content.decode()
    assert "s3cret" not in page and "has a webhook secret" in page

    # when the steps are saved again with the secret left empty, it is kept
    again = keeper.post(f"{EDITOR}items/{item.pk}/fulfilment/", rows(
        "steps",
        {"step_id": hook.pk, "stage": "1", "title": "Order it now", "ORDER": "1",
         "webhook_url": "https://shop.example/hook"},
        initial=2,
    ))  # fmt: skip
    assert again.status_code == 302
    kept = FulfilmentStep.objects.get(item=item)
    assert (kept.pk, kept.title, kept.webhook_secret) == (hook.pk, "Order it now", "s3cret")
    # and a level of a group without its group is refused beside the field
    wrong = keeper.post(f"{EDITOR}items/{item.pk}/approvals/", rows(
        "levels", {"approver_kind": "group", "rule": "any", "ORDER": "1"},
    ))  # fmt: skip
    assert wrong.status_code == 400
    assert "Choose the group whose members approve." in wrong.content.decode()
    assert ApprovalStep.objects.filter(item=item).count() == 2


def test_an_ordered_item_cannot_be_deleted_but_an_unused_one_can(owner, make_item, make_user):
    ordered, unused = make_item("Laptop"), make_item("Fax")
    actions.order(acting_user=make_user("rita"), lines=[actions.Line(ordered, {})])
    keeper = client_for(owner)

    refused = keeper.post(f"{EDITOR}items/{ordered.pk}/delete/", follow=True)
    deleted = keeper.post(f"{EDITOR}items/{unused.pk}/delete/")

    assert "retire it instead" in refused.content.decode()
    assert deleted.status_code == 302
    assert list(CatalogItem.objects.values_list("name", flat=True)) == ["Laptop"]


def test_the_editor_is_linked_for_keepers_only(owner, make_user, make_item):
    make_item("Laptop")
    rita = client_for(make_user("rita"))
    keeper = client_for(owner)

    assert EDITOR.encode() in keeper.get("/portal/catalog/").content
    assert EDITOR.encode() not in rita.get("/portal/catalog/").content
    assert b"Edit the catalog" in keeper.get("/").content
