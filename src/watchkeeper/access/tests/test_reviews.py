"""Access review campaigns: what a campaign reviews and who reviews it, confirming and revoking
(the grant ends, both histories say so), what is refused, closing, daily reminders, schedules,
and the report with its CSV and PDF evidence."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from watchkeeper.access import review_report, review_schedules, reviews, tasks
from watchkeeper.access.actions import revoke
from watchkeeper.access.models import AccessReview, Entitlement, ReviewItem, ReviewSchedule
from watchkeeper.access.tests.review_world import erp_campaign, item_of, world
from watchkeeper.core.history import history_of, verify_history


@pytest.fixture
def w(make_user):
    return world(make_user)


def test_a_campaign_reviews_each_active_grant_in_scope_with_its_owner(
    w, django_capture_on_commit_callbacks
):
    # given the ERP's three active grants, an ended one, and a CRM grant
    mail.outbox.clear()
    # when Alex starts a campaign over the ERP
    with django_capture_on_commit_callbacks(execute=True):
        review = erp_campaign(w)
    # then each active ERP grant is an item, and nothing else is
    assert review.number.startswith("REV") and review.state == "open"
    reviewed = {item.entitlement: item.reviewer for item in review.items.all()}
    assert reviewed == {
        w["rita_clerk"]: w["olga"], w["sam_payer"]: w["olga"],
        w["olga_clerk"]: w["mona"],  # Olga's own grant goes to her manager
    }  # fmt: skip
    assert set(review.items.values_list("decision", flat=True)) == {"pending"}
    # and each reviewer is told once, with how many grants wait for them
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert f"{review.number}: 2 grants wait" in subjects["olga@example.org"]
    assert f"{review.number}: 1 grant waits" in subjects["mona@example.org"]
    assert f"/access/reviews/{review.number}/" in mail.outbox[0].body
    # and the campaign's history says what it covers
    created = history_of(review).get()
    assert created.action == "created" and created.actor_label == "alex"
    assert created.changes["items"]["new"] == 3
    assert created.changes["systems"]["new"] == [w["erp"].number]


def test_without_systems_a_campaign_reviews_every_system(w):
    due = timezone.localdate() + dt.timedelta(days=7)
    review = reviews.start("Everything", [], due, w["alex"])
    assert review.items.count() == 4
    assert item_of(review, w["rita_sales"]).reviewer == w["carl"]


def test_an_owner_without_a_manager_leaves_their_own_grant_to_the_starter(w):
    w["olga"].manager = None
    w["olga"].save(update_fields=["manager"])
    review = erp_campaign(w)
    assert item_of(review, w["olga_clerk"]).reviewer == w["alex"]


def test_only_access_managers_start_campaigns_and_bad_ones_are_refused(w):
    due = timezone.localdate() + dt.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        reviews.start("ERP", [w["erp"]], due, w["olga"])
    with pytest.raises(ValidationError) as past:
        reviews.start("ERP", [w["erp"]], timezone.localdate() - dt.timedelta(days=1), w["alex"])
    assert "due_on" in past.value.message_dict
    nothing = w["crm"]
    revoke(w["rita_sales"], acting_user=None, reason="Left sales")
    with pytest.raises(ValidationError) as empty:
        reviews.start("CRM", [nothing], due, w["alex"])
    assert "nothing to review" in empty.value.message_dict["systems"][0]
    with pytest.raises(ValidationError) as unnamed:
        reviews.start("  ", [w["erp"]], due, w["alex"])
    assert "name" in unnamed.value.message_dict
    assert AccessReview.objects.count() == 0


def test_the_reviewer_revokes_a_grant_and_it_ends_at_once(w):
    review = erp_campaign(w)
    item = item_of(review, w["rita_clerk"])
    # when Olga revokes Rita's grant
    decided = reviews.decide(item, w["olga"], False, "Moved to sales")
    # then the grant has ended, by Olga, with the campaign as the reason
    grant = Entitlement.objects.get(pk=w["rita_clerk"].pk)
    assert (grant.state, grant.ended_by, grant.end_reason) == (
        "revoked", w["olga"], f"Access review {review.number}: Moved to sales",
    )  # fmt: skip
    assert (decided.decision, decided.decided_by, decided.comment) == (
        "revoked", w["olga"], "Moved to sales",
    )  # fmt: skip
    # and the campaign's history holds the decision
    entry = history_of(review).last()
    assert entry.action == "decided" and entry.actor_label == "olga"
    assert entry.changes[f"items.{grant.number}"]["new"] == {
        "decision": "revoked", "reviewer": "olga", "comment": "Moved to sales",
    }  # fmt: skip
    assert history_of(grant).last().changes["state"]["new"] == "revoked"
    assert verify_history() == []


def test_confirming_keeps_the_grant(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["sam_payer"]), w["olga"], True)
    assert Entitlement.objects.get(pk=w["sam_payer"].pk).state == "active"
    assert item_of(review, w["sam_payer"]).decision == "confirmed"


def test_the_owners_manager_revokes_the_owners_own_grant(w):
    review = erp_campaign(w)
    # Mona owns no ERP role and is no access manager: reviewing the grant lets her end it
    reviews.decide(item_of(review, w["olga_clerk"]), w["mona"], False, "Olga moved to audit")
    grant = Entitlement.objects.get(pk=w["olga_clerk"].pk)
    assert grant.state == "revoked" and grant.end_reason.startswith(
        f"Access review {review.number}"
    )
    assert grant.ended_by == w["mona"]
    with pytest.raises(PermissionDenied):  # outside the campaign she may not
        revoke(Entitlement.objects.get(pk=w["rita_clerk"].pk), acting_user=w["mona"], reason="no")
    item = item_of(review, w["olga_clerk"])
    assert (item.decision, item.decided_by) == ("revoked", w["mona"])
    assert history_of(review).last().actor_label == "mona"


def test_an_access_manager_decides_on_the_reviewers_behalf_and_it_is_recorded(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["sam_payer"]), w["alex"], True, "Olga is away")
    item = item_of(review, w["sam_payer"])
    assert (item.decided_by, item.reviewer) == (w["alex"], w["olga"])
    entry = history_of(review).last()
    assert entry.actor_label == "alex"
    assert entry.changes[f"items.{w['sam_payer'].number}"]["new"]["on_behalf_of"] == "olga"


def test_decisions_that_are_refused(w):
    review = erp_campaign(w)
    item = item_of(review, w["rita_clerk"])
    # someone who is not the reviewer
    with pytest.raises(PermissionDenied):
        reviews.decide(item, w["sam"], True)
    with pytest.raises(PermissionDenied):
        reviews.decide(item, w["mona"], True)  # Mona reviews only Olga's own grant
    # revoking without a reason
    with pytest.raises(ValidationError) as silent:
        reviews.decide(item, w["olga"], False, "   ")
    assert "comment" in silent.value.message_dict
    # a grant that ended meanwhile
    revoke(w["sam_payer"], acting_user=w["olga"], reason="By hand")
    with pytest.raises(ValidationError) as ended:
        reviews.decide(item_of(review, w["sam_payer"]), w["olga"], True)
    assert "has ended meanwhile" in ended.value.message_dict["entitlement"][0]
    # deciding twice
    reviews.decide(item, w["olga"], True)
    with pytest.raises(ValidationError) as twice:
        reviews.decide(item, w["olga"], False, "Changed my mind")
    assert "already confirmed" in twice.value.message_dict["decision"][0]
    # a closed campaign
    reviews.close(review, w["alex"])
    with pytest.raises(ValidationError) as closed:
        reviews.decide(item_of(review, w["olga_clerk"]), w["mona"], True)
    assert "is closed" in closed.value.message_dict["state"][0]
    assert Entitlement.objects.get(pk=w["rita_clerk"].pk).state == "active"


def test_closing_leaves_undecided_grants_not_reviewed(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["rita_clerk"]), w["olga"], False, "Left")
    with pytest.raises(PermissionDenied):
        reviews.close(review, w["olga"])
    closed = reviews.close(review, w["alex"])
    assert (closed.state, closed.closed_by, closed.version) == ("closed", w["alex"], 2)
    entry = history_of(review).last()
    assert entry.action == "closed" and entry.changes["not_reviewed"]["new"] == 2
    counts = review_report.summary(reviews.items_for(closed, w["ada"]))
    assert (counts.total, counts.revoked, counts.confirmed, counts.not_reviewed) == (3, 1, 0, 2)
    with pytest.raises(ValidationError):
        reviews.close(closed, w["alex"])


def test_reviewers_are_reminded_at_most_once_a_day(w, django_capture_on_commit_callbacks):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        review = erp_campaign(w, days=2)
    reviews.decide(item_of(review, w["olga_clerk"]), w["mona"], True)  # Mona is done
    mail.outbox.clear()

    def remind_at(hours: float) -> list[str]:
        before = len(mail.outbox)
        moment = start + dt.timedelta(hours=hours)
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            reviews.remind()
        return [m.subject for m in mail.outbox[before:]]

    # the invitation counts as the first message
    assert remind_at(1) == []
    # a day later Olga (not Mona, who is done) is reminded, once
    [reminder] = remind_at(25)
    assert reminder.endswith(f"Reminder: access review {review.number}, 2 grants wait for you")
    assert remind_at(26) == [] and remind_at(48.5) == []
    # after the due date the reminder says it is overdue
    [overdue] = remind_at(3 * 24 + 1)
    assert f"Overdue: access review {review.number}" in overdue
    assert "is overdue" in mail.outbox[-1].body
    # a closed campaign reminds nobody
    reviews.close(review, w["alex"])
    assert remind_at(6 * 24) == []
    reminded = review.items.exclude(reminded_at=None).values_list("reviewer__username")
    assert set(reminded) == {("olga",)}


def test_a_schedule_starts_its_campaign_and_moves_its_next_day_on(w):
    today = timezone.localdate()
    schedule = ReviewSchedule.objects.create(
        name="ERP quarterly", every_months=3, days_to_complete=10, next_on=today
    )
    schedule.systems.set([w["erp"]])
    # when the daily job runs
    assert tasks.start_scheduled_access_reviews.call_local() == 1
    [review] = AccessReview.objects.all()
    # then the campaign is started by the system, for the schedule
    assert review.name == f"ERP quarterly {today.isoformat()}"
    assert (review.started_by, review.schedule, review.due_on) == (
        None, schedule, today + dt.timedelta(days=10),
    )  # fmt: skip
    assert review.items.count() == 3
    assert history_of(review).get().actor_label == "system"
    schedule.refresh_from_db()
    assert schedule.next_on == review_schedules.add_months(today, 3) and schedule.next_on > today
    moved = history_of(schedule).get()
    assert (moved.actor_label, moved.changes["next_on"]["new"]) == (
        "system", schedule.next_on.isoformat(),
    )  # fmt: skip
    # and running again the same day starts nothing
    assert review_schedules.start_scheduled(today) == []
    assert tasks.remind_access_reviewers.call_local() == 0  # nobody waits a day yet


def test_a_schedule_with_nothing_to_review_still_moves_on(w):
    today = timezone.localdate()
    revoke(w["rita_sales"], acting_user=None, reason="Left sales")
    idle = ReviewSchedule.objects.create(name="CRM", every_months=1, next_on=today)
    idle.systems.set([w["crm"]])
    paused = ReviewSchedule.objects.create(name="Off", next_on=today, is_active=False)
    assert review_schedules.start_scheduled(today) == []
    idle.refresh_from_db()
    paused.refresh_from_db()
    assert idle.next_on == review_schedules.add_months(today, 1) and paused.next_on == today


def test_months_are_added_without_running_past_a_short_month():
    assert review_schedules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert review_schedules.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    # a schedule that missed several periods is not caught up one campaign a day
    later = review_schedules.following(dt.date(2026, 1, 10), 3, dt.date(2026, 8, 1))
    assert later == dt.date(2026, 10, 10)


def test_the_report_counts_decisions_and_each_reviewers_progress(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["rita_clerk"]), w["olga"], False, "Left")
    reviews.decide(item_of(review, w["sam_payer"]), w["olga"], True)
    counts = review_report.summary(reviews.items_for(review, w["ada"]))
    assert (counts.total, counts.confirmed, counts.revoked, counts.not_reviewed) == (3, 1, 1, 1)
    assert counts.completion == 66
    assert [(p.reviewer, p.done, p.total) for p in counts.reviewers] == [
        ("mona", 0, 1), ("olga", 2, 2),
    ]  # fmt: skip
    # a reviewer who is not a reader sees their part
    mine = review_report.summary(reviews.items_for(review, w["olga"]))
    assert (mine.total, mine.completion) == (2, 100)


def test_the_csv_has_a_row_per_grant_and_never_a_formula(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["rita_clerk"]), w["olga"], False, '=HYPERLINK("x")')
    reviews.decide(item_of(review, w["sam_payer"]), w["olga"], True, "@SUM(A1) still needed")
    text = review_report.to_csv(reviews.items_for(review, w["ada"]))
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header == list(review_report.HEADERS)
    rows = {line[1]: dict(zip(header, line, strict=True)) for line in lines}
    assert set(rows) == {w["rita_clerk"].number, w["sam_payer"].number, w["olga_clerk"].number}
    revoked = rows[w["rita_clerk"].number]
    assert revoked["Campaign"] == review.number and revoked["System"] == "ERP"
    assert (revoked["Role"], revoked["Holder"], revoked["Reviewer"]) == ("AP clerk", "rita", "olga")
    assert (revoked["Decision"], revoked["Decided by"], revoked["Entitlement state now"]) == (
        "Revoked", "olga", "Revoked",
    )  # fmt: skip
    assert revoked["Comment"] == '\'=HYPERLINK("x")'
    assert revoked["Granted on"] == timezone.localdate().isoformat()
    assert revoked["Granted by"] == "system" and revoked["Decided at"]
    assert rows[w["sam_payer"].number]["Comment"] == "'@SUM(A1) still needed"
    assert rows[w["olga_clerk"].number]["Decision"] == "Not reviewed"
    assert review_report.guard("-1+1") == "'-1+1" and review_report.guard("fine") == "fine"


def test_the_pdf_holds_the_campaign_and_the_revoked_grant(w):
    review = erp_campaign(w)
    reviews.decide(item_of(review, w["rita_clerk"]), w["olga"], False, "Zoë left — Łódź €")
    items = reviews.items_for(review, w["ada"])
    plain = review_report.to_pdf(review, items, w["ada"], compress=False)
    assert plain.startswith(b"%PDF-")
    assert f"Access review {review.number}".encode() in plain
    assert w["rita_clerk"].number.encode() in plain and b"(Revoked)" in plain
    # the core fonts hold Latin-1: the dash is made plain, letters outside it simplified or "?"
    assert "Zoë left - ?ódz ?".encode("latin-1") in plain and b"Generated " in plain
    assert b"1 revoked, 2 not reviewed" in plain
    packed = review_report.to_pdf(review, items, w["ada"])
    assert packed.startswith(b"%PDF-") and len(packed) < len(plain)


def test_reviewers_see_their_campaigns_readers_see_all(w, make_user):
    review = erp_campaign(w)
    assert list(reviews.reviews_for(w["ada"])) == [review]
    assert list(reviews.reviews_for(w["mona"])) == [review]
    assert [i.entitlement for i in reviews.items_for(review, w["mona"])] == [w["olga_clerk"]]
    with pytest.raises(PermissionDenied):
        reviews.reviews_for(w["rita"])
    with pytest.raises(PermissionDenied):
        reviews.review_for(w["carl"], review.number)
    assert ReviewItem.objects.filter(reviewer=w["carl"]).count() == 0
