"""Access reviews over the API: who may start, read, decide and close; the report and the CSV
and PDF exports; schedules; and the operations in the OpenAPI description."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone

from watchkeeper.access.models import Entitlement, ReviewSchedule
from watchkeeper.access.tests.review_world import erp_campaign, item_of, world
from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
from watchkeeper.requests.tests.helpers import client_for, post

BASE = "/api/v1/access/reviews"


@pytest.fixture
def w(make_user):
    people = world(make_user)
    people["adam"] = make_user("adam", Role.AGENT)
    return people


def patch(user, path: str, body: object) -> object:
    return client_for(user).patch(path, json.dumps(body), content_type="application/json")


def due(days: int = 14) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_an_access_manager_starts_a_campaign(w):
    body = {"name": "ERP Q3", "systems": [w["erp"].number.lower()], "due_on": due()}
    made = post(w["alex"], BASE, body)
    assert made.status_code == 201, made.content
    started = made.json()
    assert started["number"].startswith("REV") and started["state"] == "open"
    assert (started["systems"], started["items"], started["pending"]) == ([w["erp"].number], 3, 3)
    assert started["started_by"] == "alex" and started["version"] == 1


@pytest.mark.parametrize("who", ["olga", "adam", "rita"])
def test_nobody_else_starts_one(w, who):
    body = {"name": "ERP Q3", "systems": [], "due_on": due()}
    assert post(w[who], BASE, body).status_code == 403


def test_a_bad_campaign_is_refused_with_the_field_named(w):
    past = post(w["alex"], BASE, {"name": "Late", "systems": [], "due_on": due(-1)})
    assert past.status_code == 400 and "due_on" in past.json()["errors"]
    unknown = post(w["alex"], BASE, {"name": "X", "systems": ["CI9999999"], "due_on": due()})
    assert unknown.status_code == 400 and "systems" in unknown.json()["errors"]
    shapeless = post(w["alex"], BASE, {"name": "", "due_on": "someday", "extra": 1})
    assert shapeless.status_code == 422


def test_readers_see_every_campaign_reviewers_their_part_others_nothing(w):
    review = erp_campaign(w)
    path = f"{BASE}/{review.number}"
    for reader in ("ada", "adam", "alex"):
        listed = client_for(w[reader]).get(BASE).json()
        assert [r["number"] for r in listed["items"]] == [review.number]
        assert listed["items"][0]["items"] == 3
    # Mona reviews one grant: she sees the campaign and her item only
    hers = client_for(w["mona"]).get(path).json()
    assert (hers["items"], hers["pending"]) == (1, 1)
    items = client_for(w["mona"]).get(f"{path}/items").json()["items"]
    assert [i["entitlement"] for i in items] == [w["olga_clerk"].number]
    # someone who reads and reviews nothing is refused
    for refused in (BASE, path, f"{path}/items", f"{path}/report", f"{path}/export.csv",
                    f"{path}/export.pdf"):  # fmt: skip
        assert client_for(w["rita"]).get(refused).status_code == 403, refused
    assert client_for(w["ada"]).get(f"{BASE}/REV9999999").status_code == 404
    assert client_for(w["ada"]).get(f"{BASE}?state=closed").json()["items"] == []


def test_items_filter_by_reviewer_and_decision(w):
    review = erp_campaign(w)
    path = f"{BASE}/{review.number}/items"
    reviewers = client_for(w["ada"]).get(f"{path}?reviewer=olga").json()["items"]
    assert {i["holder"] for i in reviewers} == {"rita", "sam"}
    assert client_for(w["olga"]).get(f"{path}?reviewer=me").json()["count"] == 2
    assert client_for(w["ada"]).get(f"{path}?reviewer=nobody").status_code == 400
    assert client_for(w["ada"]).get(f"{path}?decision=revoked").json()["count"] == 0
    assert client_for(w["ada"]).get(f"{path}?decision=maybe").status_code == 422
    first = client_for(w["ada"]).get(path).json()["items"][0]
    assert {"entitlement", "system", "role", "holder", "reviewer", "decision"} <= set(first)


def test_the_reviewer_revokes_over_the_api(w):
    review = erp_campaign(w)
    item = item_of(review, w["rita_clerk"])
    path = f"{BASE}/{review.number}/items/{item.pk}/decision"
    # not the reviewer; no comment; a bad decision
    assert post(w["sam"], path, {"decision": "confirm"}).status_code == 403
    assert post(w["mona"], path, {"decision": "confirm"}).status_code == 403
    silent = post(w["olga"], path, {"decision": "revoke"})
    assert silent.status_code == 400 and "comment" in silent.json()["errors"]
    assert post(w["olga"], path, {"decision": "maybe"}).status_code == 422
    # the reviewer revokes
    done = post(w["olga"], path, {"decision": "revoke", "comment": "Moved to sales"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["decision"], body["decided_by"], body["entitlement_state"]) == (
        "revoked", "olga", "revoked",
    )  # fmt: skip
    assert Entitlement.objects.get(pk=w["rita_clerk"].pk).state == "revoked"
    again = post(w["olga"], path, {"decision": "confirm"})
    assert again.status_code == 400 and "already revoked" in again.json()["detail"]
    # an item of another campaign is not found through this one
    other = erp_campaign(w)  # the still-active grants again
    foreign = f"{BASE}/{other.number}/items/{item.pk}/decision"
    assert post(w["olga"], foreign, {"decision": "confirm"}).status_code == 404


def test_an_ended_grant_cannot_be_decided(w):
    review = erp_campaign(w)
    item = item_of(review, w["sam_payer"])
    post(w["olga"], f"/api/v1/access/entitlements/{w['sam_payer'].number}/revoke",
         {"reason": "By hand"})  # fmt: skip
    late = post(w["olga"], f"{BASE}/{review.number}/items/{item.pk}/decision",
                {"decision": "confirm"})  # fmt: skip
    assert late.status_code == 400 and "ended meanwhile" in late.json()["detail"]


def test_closing_over_the_api(w):
    review = erp_campaign(w)
    path = f"{BASE}/{review.number}/close"
    assert post(w["olga"], path).status_code == 403
    assert post(w["ada"], path).status_code == 403
    stale = post(w["alex"], path, {"version": 7})
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    closed = post(w["alex"], path)  # {}: the version is optional
    assert closed.status_code == 200, closed.content
    assert (closed.json()["state"], closed.json()["closed_by"]) == ("closed", "alex")
    assert post(w["alex"], path).status_code == 400
    item = item_of(review, w["rita_clerk"])
    late = post(w["olga"], f"{BASE}/{review.number}/items/{item.pk}/decision",
                {"decision": "confirm"})  # fmt: skip
    assert late.status_code == 400 and "closed" in late.json()["detail"]


def test_the_report_and_the_exports(w):
    review = erp_campaign(w)
    path = f"{BASE}/{review.number}"
    item = item_of(review, w["rita_clerk"])
    post(w["olga"], f"{path}/items/{item.pk}/decision", {"decision": "revoke", "comment": "Left"})
    report = client_for(w["ada"]).get(f"{path}/report").json()
    assert (report["total"], report["revoked"], report["not_reviewed"]) == (3, 1, 2)
    assert report["completion_percent"] == 33 and report["review"]["number"] == review.number
    assert {"reviewer": "olga", "done": 1, "total": 2} in report["reviewers"]
    # the CSV, as a download
    exported = client_for(w["ada"]).get(f"{path}/export.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert exported["Content-Disposition"] == (
        f'attachment; filename="{review.number}-access-review.csv"'
    )
    lines = list(csv.reader(io.StringIO(exported.content.decode())))
    revoked = next(line for line in lines if line[1] == w["rita_clerk"].number)
    assert revoked[9] == "Revoked" and revoked[13] == "Revoked"
    # a reviewer's export holds their part only
    hers = client_for(w["mona"]).get(f"{path}/export.csv").content.decode()
    assert w["olga_clerk"].number in hers and w["rita_clerk"].number not in hers
    # the PDF
    pdf = client_for(w["ada"]).get(f"{path}/export.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_schedules_over_the_api(w):
    path = "/api/v1/access/review-schedules"
    body = {"name": "ERP quarterly", "systems": [w["erp"].number], "every_months": 3,
            "days_to_complete": 10, "next_on": due(30)}  # fmt: skip
    assert post(w["olga"], path, body).status_code == 403
    assert post(w["ada"], path, body).status_code == 403
    made = post(w["alex"], path, body)
    assert made.status_code == 201, made.content
    schedule = made.json()
    assert (schedule["systems"], schedule["every_months"], schedule["is_active"]) == (
        [w["erp"].number], 3, True,
    )  # fmt: skip
    twice = post(w["alex"], path, body)
    assert twice.status_code == 400 and "name" in twice.json()["errors"]
    assert post(w["alex"], path, {**body, "name": "B", "every_months": 0}).status_code == 422
    # changing it
    one = f"{path}/{schedule['id']}"
    changed = patch(w["alex"], one, {"every_months": 6, "systems": [], "is_active": False})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["every_months"], changed.json()["systems"]) == (6, [])
    stored = ReviewSchedule.objects.get()
    assert (stored.every_months, stored.is_active, stored.name) == (6, False, "ERP quarterly")
    created, updated = history_of(stored)
    assert (created.action, created.actor_label, created.channel) == ("created", "alex", "api")
    assert updated.changes["systems"] == {"old": [w["erp"].number], "new": []}
    assert updated.changes["every_months"] == {"old": 3, "new": 6}
    assert patch(w["alex"], one, {"name": None}).status_code == 400
    assert patch(w["olga"], one, {"every_months": 1}).status_code == 403
    assert patch(w["alex"], f"{path}/999999", {"every_months": 1}).status_code == 404
    # reading them
    assert client_for(w["adam"]).get(path).json()[0]["name"] == "ERP quarterly"
    assert client_for(w["rita"]).get(path).status_code == 403


def test_the_operations_are_in_the_openapi_description(w):
    spec = client_for(w["ada"]).get("/api/v1/openapi.json").json()
    operations = {
        op["operationId"]: op for methods in spec["paths"].values() for op in methods.values()
    }
    for name in (
        "list_access_reviews", "start_access_review", "get_access_review",
        "list_access_review_items", "decide_access_review_item", "close_access_review",
        "access_review_report", "export_access_review_csv", "export_access_review_pdf",
        "list_access_review_schedules", "create_access_review_schedule",
        "update_access_review_schedule",
    ):  # fmt: skip
        assert operations[name]["tags"] == ["access reviews"], name
    csv_200 = operations["export_access_review_csv"]["responses"]["200"]
    assert "text/csv" in csv_200["content"]
    assert "403" in operations["decide_access_review_item"]["responses"]
