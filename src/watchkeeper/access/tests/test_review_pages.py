"""The access review pages: who may open them, starting a campaign from the list (errors
beside their fields), deciding on the campaign page and from "My reviews", closing, and the
CSV and PDF downloads."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.utils import timezone

from watchkeeper.access.models import AccessReview, Entitlement, ReviewSchedule
from watchkeeper.access.tests.review_world import erp_campaign, item_of, world
from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
from watchkeeper.requests.tests.helpers import client_for


@pytest.fixture
def w(make_user):
    people = world(make_user)
    people["adam"] = make_user("adam", Role.AGENT)
    return people


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_who_may_open_the_pages(w):
    review = erp_campaign(w)
    pages = [
        "/access/reviews/", "/access/reviews/my/", f"/access/reviews/{review.number}/",
        f"/access/reviews/{review.number}/export.csv",
        f"/access/reviews/{review.number}/export.pdf",
    ]  # fmt: skip
    for page in pages:
        assert client_for(w["rita"]).get(page).status_code == 403, page
        assert client_for(w["ada"]).get(page).status_code == 200, page
        assert client_for(w["mona"]).get(page).status_code == 200, page
    assert client_for(w["ada"]).get("/access/reviews/REV9999999/").status_code == 404
    anonymous = client_for(w["ada"])
    anonymous.logout()
    assert anonymous.get("/access/reviews/")["Location"].startswith("/login/")


def test_an_access_manager_starts_a_campaign_from_the_list(w):
    manager = client_for(w["alex"])
    page = text(manager.get("/access/reviews/"))
    assert "Start a campaign" in page and f"ERP ({w['erp'].number})" in page
    assert "Start a campaign" not in text(client_for(w["adam"]).get("/access/reviews/"))
    # a due date in the past is shown beside its field, and nothing is started
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    refused = manager.post("/access/reviews/", {"name": "ERP Q3", "systems": [w["erp"].pk],
                                                "due_on": past})  # fmt: skip
    assert refused.status_code == 400 and "The due date is in the past." in text(refused)
    assert AccessReview.objects.count() == 0
    # a good one starts and opens its page
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    started = manager.post("/access/reviews/", {"name": "ERP Q3", "systems": [w["erp"].pk],
                                                "due_on": due})  # fmt: skip
    review = AccessReview.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/access/reviews/{review.number}/"
    assert review.items.count() == 3 and review.started_by == w["alex"]
    # and only access managers may
    agent = client_for(w["adam"]).post("/access/reviews/", {"name": "X", "due_on": due})
    assert agent.status_code == 403


def test_the_reviewer_decides_on_the_campaign_page(w):
    review = erp_campaign(w)
    olga = client_for(w["olga"])
    page = text(olga.get(f"/access/reviews/{review.number}/"))
    assert page.count('data-testid="decide-form"') == 2  # hers, not Mona's
    assert w["olga_clerk"].number not in page  # Olga sees only the grants she reviews
    item = item_of(review, w["rita_clerk"])
    url = f"/access/reviews/{review.number}/items/{item.pk}/decision/"
    # revoking without a comment is refused with a message
    refused = olga.post(url, {"decision": "revoke", "comment": ""}, follow=True)
    assert "Say why the grant is revoked." in text(refused)
    assert Entitlement.objects.get(pk=w["rita_clerk"].pk).state == "active"
    # revoking with one ends the grant
    done = olga.post(url, {"decision": "revoke", "comment": "Moved to sales"})
    assert done.status_code == 302 and done["Location"] == f"/access/reviews/{review.number}/"
    assert Entitlement.objects.get(pk=w["rita_clerk"].pk).state == "revoked"
    after = text(olga.get(f"/access/reviews/{review.number}/"))
    assert after.count('data-testid="decide-form"') == 1 and "Moved to sales" in after
    # someone else's grant cannot be decided here
    mona_item = item_of(review, w["olga_clerk"])
    other = f"/access/reviews/{review.number}/items/{mona_item.pk}/decision/"
    forbidden = olga.post(other, {"decision": "confirm"}, follow=True)
    assert "Only the reviewer" in text(forbidden)
    assert item_of(review, w["olga_clerk"]).decision == "pending"


def test_readers_see_every_grant_without_deciding(w):
    review = erp_campaign(w)
    page = text(client_for(w["ada"]).get(f"/access/reviews/{review.number}/"))
    assert 'data-testid="decide-form"' not in page
    for grant in ("rita_clerk", "sam_payer", "olga_clerk"):
        assert w[grant].number in page
    assert "0% reviewed" in page and "Close the campaign" not in page


def test_my_reviews_lists_what_waits_and_decides_back_there(w):
    review = erp_campaign(w)
    mona = client_for(w["mona"])
    # "My access" tells her that something waits, and leads there
    assert "1 grant waits for your review." in text(mona.get("/portal/access/"))
    page = text(mona.get("/access/reviews/my/"))
    assert w["olga_clerk"].number in page and w["rita_clerk"].number not in page
    item = item_of(review, w["olga_clerk"])
    url = f"/access/reviews/{review.number}/items/{item.pk}/decision/"
    done = mona.post(url, {"decision": "confirm", "next": "my"})
    assert done["Location"] == "/access/reviews/my/"
    assert "Nothing waits for your review." in text(mona.get("/access/reviews/my/"))
    assert "for your review" not in text(mona.get("/portal/access/"))


def test_an_access_manager_closes_the_campaign(w):
    review = erp_campaign(w)
    url = f"/access/reviews/{review.number}/close/"
    client_for(w["olga"]).post(url, {"version": "1"})
    assert AccessReview.objects.get().state == "open"
    manager = client_for(w["alex"])
    assert "Close the campaign" in text(manager.get(f"/access/reviews/{review.number}/"))
    stale = manager.post(url, {"version": "9"}, follow=True)
    assert "changed by someone else" in text(stale)
    closed = manager.post(url, {"version": "1"}, follow=True)
    assert AccessReview.objects.get().state == "closed"
    page = text(closed)
    assert "is closed" in page and 'data-testid="decide-form"' not in page
    assert "3 grants: 0 confirmed, 0 revoked, 3 not reviewed." in page


def test_the_exports_download(w):
    review = erp_campaign(w)
    exported = client_for(w["ada"]).get(f"/access/reviews/{review.number}/export.csv")
    assert exported["Content-Disposition"].startswith("attachment;")
    assert exported.content.decode().startswith("Campaign,Entitlement,System,Role")
    pdf = client_for(w["ada"]).get(f"/access/reviews/{review.number}/export.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_schedules_are_added_paused_and_resumed_on_their_page(w):
    path = "/access/reviews/schedules/"
    # readers see the page; a reviewer who is no reader and a requester do not
    assert client_for(w["ada"]).get(path).status_code == 200
    assert client_for(w["rita"]).get(path).status_code == 403
    alex = client_for(w["alex"])
    assert "Schedules" in text(alex.get("/access/reviews/"))
    # a wrong form is answered beside its fields, and nothing is saved
    wrong = alex.post(path, {"name": "", "every_months": 0, "days_to_complete": 14})
    assert wrong.status_code == 400
    assert "This field is required." in text(wrong) and not ReviewSchedule.objects.exists()
    # an access manager adds one
    first = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    form = {"name": "ERP quarterly", "systems": [w["erp"].pk], "every_months": 3,
            "days_to_complete": 10, "next_on": first}  # fmt: skip
    made = alex.post(path, form)
    assert made.status_code == 302
    schedule = ReviewSchedule.objects.get()
    assert (schedule.every_months, list(schedule.systems.all())) == (3, [w["erp"]])
    page = text(alex.get(path))
    assert "ERP quarterly" in page and first in page and "Pause" in page
    # an auditor may read but not add or pause
    assert client_for(w["ada"]).post(path, {"name": "X"}).status_code == 403
    toggle = f"{path}{schedule.pk}/active/"
    assert client_for(w["ada"]).post(toggle, {"active": "no"}).status_code == 403
    # pausing and resuming are in its history
    alex.post(toggle, {"active": "no"})
    schedule.refresh_from_db()
    assert not schedule.is_active and "Resume" in text(alex.get(path))
    alex.post(toggle, {"active": "yes"})
    schedule.refresh_from_db()
    assert schedule.is_active
    assert [e.changes.get("is_active", {}).get("new") for e in history_of(schedule)] == [
        None, False, True,
    ]  # fmt: skip
