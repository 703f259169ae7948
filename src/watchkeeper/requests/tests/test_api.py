"""The catalog API: each caller sees what their groups may order; an item's form and a check of
answers; what is not theirs to order is not found."""

from __future__ import annotations

import json

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.requests.tests.helpers import client_for


def test_each_user_sees_the_items_their_groups_may_order(make_item, make_user, make_group):
    # given an item for everyone, one for the developers' group, one for agents, an inactive one
    rita, dev = make_user("rita"), make_user("dave", Role.RESOLVER)
    developers = make_group("Developers", members=(dev,))
    make_item("Mouse", category="Hardware", position=2)
    make_item("Database access", category="Access").audience_groups.add(developers)
    make_item("Headset", category="Hardware", audience_roles=[Role.AGENT])
    make_item("Fax machine", is_active=False)

    # when each asks for the catalog
    def names(user) -> list[str]:
        answer = client_for(user).get("/api/v1/catalog/items")
        assert answer.status_code == 200, answer.content
        return [item["name"] for item in answer.json()["items"]]

    # then
    assert names(rita) == ["Mouse"]
    assert sorted(names(dev)) == ["Database access", "Mouse"]
    assert sorted(names(make_user("adam", Role.AGENT))) == ["Headset", "Mouse"]
    categories = client_for(rita).get("/api/v1/catalog/categories").json()
    assert [c["name"] for c in categories] == ["Hardware"]
    only_access = client_for(dev).get("/api/v1/catalog/items?q=database").json()["items"]
    assert [item["name"] for item in only_access] == ["Database access"]


def test_an_item_shows_its_form_and_a_sanitised_description(make_item, make_user):
    item = make_item(
        "Laptop",
        {"name": "size", "label": "Size", "kind": "choice", "choices": ["13", "15"],
         "required": True, "help_text": "Screen size"},
        description="**Standard** laptop <script>alert(1)</script>",
        cost="1200.00",
    )  # fmt: skip
    answer = client_for(make_user()).get(f"/api/v1/catalog/items/{item.pk}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["category"] == "Hardware" and body["cost"] == "1200.00"
    assert "<strong>Standard</strong>" in body["description_html"]
    assert "<script" not in body["description_html"]
    assert body["variables"] == [{
        "name": "size", "label": "Size", "kind": "choice", "required": True,
        "help_text": "Screen size", "choices": ["13", "15"], "minimum": None, "maximum": None,
    }]  # fmt: skip


def test_answers_are_checked_without_ordering(make_item, make_user):
    item = make_item(
        "Laptop",
        {"name": "size", "label": "Size", "kind": "choice", "choices": ["13", "15"]},
        {"name": "screens", "label": "Screens", "kind": "number", "maximum": 2},
    )
    browser = client_for(make_user())
    url = f"/api/v1/catalog/items/{item.pk}/check"

    def check(answers: object):
        return browser.post(url, json.dumps({"answers": answers}), content_type="application/json")

    good = check({"size": "15", "screens": "2"})
    assert good.status_code == 200 and good.json() == {"answers": {"size": "15", "screens": 2}}
    bad = check({"size": "17", "screens": 3})
    assert bad.status_code == 400, bad.content
    assert bad.json()["errors"] == {
        "answers.size": ["Choose one of: 13, 15."],
        "answers.screens": ["At most 2."],
    }


def test_what_a_user_may_not_order_is_not_found_and_strangers_are_refused(
    make_item, make_user, make_group
):
    hidden = make_item("Database access")
    hidden.audience_groups.add(make_group("Developers"))
    rita = make_user("rita")
    assert client_for(rita).get(f"/api/v1/catalog/items/{hidden.pk}").status_code == 404
    check = f"/api/v1/catalog/items/{hidden.pk}/check"
    posted = client_for(rita).post(check, "{}", content_type="application/json")
    assert posted.status_code == 404
    assert Client().get("/api/v1/catalog/items").status_code == 401
    admin = make_user("root", Role.ADMINISTRATOR)
    assert client_for(admin).get(f"/api/v1/catalog/items/{hidden.pk}").status_code == 404


def test_the_demo_catalog_offers_each_role_its_items(db):
    from watchkeeper.accounts.models import User
    from watchkeeper.core.demo import load_demo

    load_demo("demo password for tests")
    rita, adam = User.objects.get(username="rita"), User.objects.get(username="adam")
    names = [i["name"] for i in client_for(rita).get("/api/v1/catalog/items").json()["items"]]
    assert names[:2] == ["Laptop", "Software installation"]
    assert "Database read access" not in names  # for the staff only
    assert {"ERP: Invoice entry", "Leaver: end all access"} <= set(names)  # access: everyone
    laptop = client_for(adam).get("/api/v1/catalog/items?q=laptop").json()["items"][0]
    form = client_for(rita).get(f"/api/v1/catalog/items/{laptop['id']}").json()["variables"]
    assert [v["name"] for v in form] == ["size", "extras", "needed_by", "reason"]
    assert "Database read access" in [
        i["name"] for i in client_for(adam).get("/api/v1/catalog/items").json()["items"]
    ]
