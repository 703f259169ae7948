"""Answers to an order form: each kind checked and stored in one form, every problem named."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from watchkeeper.cmdb.actions import create_ci
from watchkeeper.requests.models import CatalogVariable
from watchkeeper.requests.variables import clean_answers

FORM = [
    {"name": "reason", "label": "Why", "kind": "text", "required": True, "minimum": 3},
    {"name": "notes", "label": "Notes", "kind": "long_text"},
    {"name": "screens", "label": "Screens", "kind": "number", "minimum": 1, "maximum": 3},
    {"name": "size", "label": "Size", "kind": "choice", "choices": ["13 inch", "15 inch"]},
    {"name": "extras", "label": "Extras", "kind": "multi_choice",
     "choices": ["dock", "mouse", "bag"]},
    {"name": "needed_by", "label": "Needed by", "kind": "date"},
    {"name": "policy", "label": "I accept the policy", "kind": "checkbox", "required": True},
    {"name": "for_user", "label": "For", "kind": "user"},
    {"name": "team", "label": "Team", "kind": "group"},
    {"name": "server", "label": "Server", "kind": "configuration_item"},
    {"name": "quote", "label": "Quote", "kind": "attachment"},
]  # fmt: skip


@pytest.fixture
def laptop(make_item):
    return make_item("Laptop", *FORM)


def test_good_answers_are_stored_in_one_form(laptop, make_user, make_group):
    rita = make_user("rita")
    team = make_group("Network")
    server = create_ci(name="web01", ci_class="server", acting_user=None)
    quote = SimpleUploadedFile("quote.pdf", b"%PDF-1.4", content_type="application/pdf")
    answers = clean_answers(laptop.variables.all(), {
        "reason": "  new starter ", "screens": "2", "size": "15 inch",
        "extras": ["mouse", "dock"], "needed_by": "2026-12-01", "policy": "on",
        "for_user": "RITA", "team": str(team.pk), "server": server.number, "quote": quote,
    })  # fmt: skip
    assert answers == {
        "reason": "new starter", "screens": 2, "size": "15 inch", "extras": ["dock", "mouse"],
        "needed_by": "2026-12-01", "policy": True, "for_user": rita.pk, "team": team.pk,
        "server": server.pk,
        "quote": {"name": "quote.pdf", "size": 8, "content_type": "application/pdf"},
    }  # fmt: skip


def test_every_wrong_answer_is_named_at_once(laptop):
    with pytest.raises(ValidationError) as raised:
        clean_answers(laptop.variables.all(), {
            "reason": "no", "screens": 4, "size": "17 inch", "extras": ["dock", "pony"],
            "needed_by": "1 December", "policy": False, "for_user": "nobody", "team": True,
            "server": "CI9999999", "quote": "quote.pdf", "colour": "red",
        })  # fmt: skip
    problems = {name: " ".join(texts) for name, texts in raised.value.message_dict.items()}
    assert problems == {
        "answers.reason": "At least 3 characters.",
        "answers.screens": "At most 3.",
        "answers.size": "Choose one of: 13 inch, 15 inch.",
        "answers.extras": "Not an option: pony. Options: dock, mouse, bag.",
        "answers.needed_by": "Give a date as YYYY-MM-DD.",
        "answers.policy": "This question needs an answer.",
        "answers.for_user": "No active user has this username, e-mail address or id.",
        "answers.team": "No active group has this name or id.",
        "answers.server": "No configuration item in use has this number, name or id.",
        "answers.quote": "Attach a file with the order.",
        "answers.colour": "This item's form has no such question.",
    }


def test_optional_questions_may_stay_blank_and_odd_values_are_refused(laptop):
    minimal = clean_answers(laptop.variables.all(), {"reason": "why not", "policy": True,
                                                      "notes": "  ", "extras": []})  # fmt: skip
    assert minimal == {"reason": "why not", "policy": True}
    for name, value in [("screens", "two"), ("screens", True), ("screens", "NaN"),
                        ("notes", "a\x00b"), ("policy", "maybe"), ("extras", {"a": 1}),
                        ("for_user", 1.5)]:  # fmt: skip
        with pytest.raises(ValidationError) as raised:
            clean_answers(laptop.variables.all(), {"reason": "why", "policy": True, name: value})
        assert list(raised.value.message_dict) == [f"answers.{name}"], (name, value)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "Bad Name", "kind": "text"}, "name"),
        ({"name": "size", "kind": "choice"}, "choices"),
        ({"name": "size", "kind": "choice", "choices": ["a", "a"]}, "choices"),
        ({"name": "size", "kind": "choice", "choices": ["a", ""]}, "choices"),
        ({"name": "notes", "kind": "text", "choices": ["a"]}, "choices"),
        ({"name": "screens", "kind": "number", "minimum": 5, "maximum": 1}, "maximum"),
    ],
)
def test_a_variable_that_cannot_work_is_refused_by_field(make_item, values, field):
    variable = CatalogVariable(item=make_item(), label="A question", **values)
    with pytest.raises(ValidationError) as raised:
        variable.full_clean()
    assert field in raised.value.message_dict


def test_an_audience_names_known_roles(make_item):
    item = make_item("Headset")
    item.audience_roles = ["agent", "boss"]
    with pytest.raises(ValidationError) as raised:
        item.full_clean()
    assert "audience_roles" in raised.value.message_dict
    item.audience_roles = ["agent"]
    item.full_clean()
