"""The delivery SLA: an item is due a number of working hours after it enters fulfilment (in its
calendar's hours, or around the clock); a late item is announced to its group once; the due
time shows in the portal, the task queue (sorted by it), the task and the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.jobs import HUEY
from watchkeeper.core.models import Notification
from watchkeeper.requests import delivery
from watchkeeper.requests.models import (
    ApprovalStep,
    FulfilmentStep,
    FulfilmentTask,
    RequestedItem,
    ServiceRequest,
)
from watchkeeper.requests.tests.helpers import client_for, post
from watchkeeper.sla import actions as sla_actions
from watchkeeper.sla.models import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def office(db: None) -> Calendar:
    """Monday to Friday 09:00-17:00 in Berlin."""
    hours = [(day, dt.time(9), dt.time(17)) for day in range(5)]
    return sla_actions.save_calendar(
        None, acting_user=None, hours=hours, name="Berlin office", time_zone="Europe/Berlin"
    )


@pytest.fixture
def servers(make_user, make_group):
    sam = make_user("sam", Role.RESOLVER)
    nina = make_user("nina", Role.RESOLVER)
    return make_group("Servers", members=(sam, nina))


def order(user, item) -> str:
    answer = post(user, "/api/v1/requests", {"items": [{"item": item.pk}]})
    assert answer.status_code == 201, answer.content
    return str(answer.json()["number"])


def item_of(number: str) -> RequestedItem:
    return RequestedItem.objects.get(request__number=number)


def test_the_due_time_counts_working_hours_across_a_weekend(make_item, make_user, office):
    # given a laptop promised within 8 working hours of the Berlin office
    laptop = make_item("Laptop", delivery_hours=8, delivery_calendar=office)
    rita = make_user("rita")

    # when it is ordered on Friday at 15:00
    with at(berlin(2026, 12, 4, 15)):
        number = order(rita, laptop)

    # then 2 hours count on Friday, none at the weekend, 6 on Monday: due Monday 15:00
    due = berlin(2026, 12, 7, 15).astimezone(UTC)
    assert item_of(number).due_at == due
    created = history_of(ServiceRequest.objects.get(number=number))[0]
    assert created.changes["items.1.due_at"] == {"old": None, "new": due.isoformat()}
    shown = client_for(rita).get(f"/api/v1/requests/{number}").json()
    assert shown["items"][0]["due_at"].startswith("2026-12-07T14:00:00")
    assert verify_history() == []


def test_without_a_calendar_the_clock_runs_around_the_clock(make_item, make_user):
    mailbox = make_item("Mailbox", delivery_hours=24)
    with at(berlin(2026, 12, 4, 15)):
        number = order(make_user("rita"), mailbox)
    assert item_of(number).due_at == berlin(2026, 12, 5, 15).astimezone(UTC)
    assert item_of(order(make_user("sue"), make_item("Pen"))).due_at is None  # no SLA


def test_the_clock_starts_when_the_last_approval_is_given(make_item, make_user, office):
    # given a laptop that needs the manager's approval
    laptop = make_item("Laptop", delivery_hours=8, delivery_calendar=office)
    ApprovalStep.objects.create(item=laptop, level=1, approver_kind="manager")
    boss = make_user("bob")
    with at(berlin(2026, 12, 4, 15)):
        number = order(make_user("rita", manager=boss), laptop)
    assert item_of(number).due_at is None  # waiting for approval: no clock yet

    # when the manager approves on Monday at 10:00
    approval = item_of(number).approvals.get()
    with at(berlin(2026, 12, 7, 10)):
        approved = post(boss, f"/api/v1/approvals/{approval.pk}/approve")
    assert approved.status_code == 200, approved.content

    # then it is due 8 working hours later, Tuesday 10:00, which the history records
    due = berlin(2026, 12, 8, 10).astimezone(UTC)
    assert item_of(number).due_at == due
    last = list(history_of(ServiceRequest.objects.get(number=number)))[-1]
    assert last.changes["items.1.due_at"] == {"old": None, "new": due.isoformat()}


def test_a_late_item_is_announced_to_its_group_once(
    make_item, make_user, servers, django_capture_on_commit_callbacks
):
    # given a laptop due within an hour, and a mailbox delivered in time
    laptop = make_item("Laptop", delivery_hours=1, fulfilment_group=servers)
    mailbox = make_item("Mailbox", delivery_hours=1, fulfilment_group=servers)
    rita = make_user("rita")
    with at(berlin(2026, 12, 4, 9)):
        late = order(rita, laptop)
        delivered = order(rita, mailbox)
        done = post(make_user("adam", Role.AGENT), f"/api/v1/requests/{delivered}/items/1/complete")
        assert done.status_code == 200, done.content

    # when the job looks before the due time, and twice after it
    before = delivery.notify_late(berlin(2026, 12, 4, 9, 59))
    with django_capture_on_commit_callbacks(execute=True):
        first = delivery.notify_late(berlin(2026, 12, 4, 10, 15))
    again = delivery.notify_late(berlin(2026, 12, 4, 10, 30))

    # then the group's members hear of the late laptop once, and the history says so
    assert (before, first, again) == (0, 1, 0)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "nina@example.org", "sam@example.org",
    ]  # fmt: skip
    assert f"Overdue: {late} Laptop for rita" in mail.outbox[0].subject
    assert "was due on 2026-12-04 09:00 UTC" in mail.outbox[0].body
    assert Notification.objects.filter(title__startswith=f"Overdue: {late}").count() == 2
    item = item_of(late)
    assert item.breach_notified_at == berlin(2026, 12, 4, 10, 15)
    last = list(history_of(item.request))[-1]
    assert last.channel == "job"
    assert last.changes["items.1.overdue"]["new"]["notified"] == ["nina", "sam"]
    assert item_of(delivered).breach_notified_at is None
    assert verify_history() == []


def test_a_late_item_without_a_group_is_announced_to_the_items_owner(make_item, make_user):
    owner = make_user("olga", Role.SERVICE_OWNER)
    pen = make_item("Pen", delivery_hours=1, owner=owner)
    with at(berlin(2026, 12, 4, 9)):
        number = order(make_user("rita"), pen)
    assert delivery.notify_late(berlin(2026, 12, 4, 11)) == 1
    assert Notification.objects.get(user=owner).url == f"/portal/requests/{number}/"


def test_the_job_runs_every_quarter_hour():
    names = {task.name for task in HUEY.read_periodic(dt.datetime(2030, 1, 1, 10, 45))}
    assert any(name.endswith("notify_late_deliveries") for name in names)
    names = {task.name for task in HUEY.read_periodic(dt.datetime(2030, 1, 1, 10, 46))}
    assert not any(name.endswith("notify_late_deliveries") for name in names)


@pytest.fixture
def two_tasks(make_item, make_user, servers):
    """A laptop ordered first, due Tuesday; a phone ordered later, due (and late) Friday."""
    laptop = make_item("Laptop", delivery_hours=100, fulfilment_group=servers)
    phone = make_item("Phone", delivery_hours=2, fulfilment_group=servers)
    for item in (laptop, phone):
        FulfilmentStep.objects.create(item=item, stage=1, title=f"Deliver the {item.name}")
    rita = make_user("rita")
    with at(berlin(2026, 12, 4, 8)):
        slow = order(rita, laptop)
    with at(berlin(2026, 12, 4, 9)):
        fast = order(rita, phone)
    return {"slow": slow, "fast": fast, "rita": rita, "sam": servers.members.get(username="sam")}


def test_due_and_overdue_show_in_the_task_queue_sorted_by_due(two_tasks):
    t = two_tasks
    with at(berlin(2026, 12, 4, 12)):  # logged in then: a session lasts 12 hours
        sam = client_for(t["sam"])
        by_due = sam.get("/desk/tasks/").content.decode()
        by_age = sam.get("/desk/tasks/?sort=created&show=mine").content.decode()
        bad = sam.get("/desk/tasks/?sort=nonsense")
    phone, laptop = "Deliver the Phone", "Deliver the Laptop"
    assert by_due.index(phone) < by_due.index(laptop)  # the soonest due first
    assert by_age.index(laptop) < by_age.index(phone)  # the oldest first
    assert bad.status_code == 200 and b'aria-sort="ascending">Due' in bad.content
    assert by_due.count('data-testid="due"') == 2
    assert by_due.count(">Overdue</span>") == 1 and by_due.count(">Due</span>") == 1


def test_due_and_overdue_show_on_the_request_and_the_task(two_tasks):
    t = two_tasks
    task = FulfilmentTask.objects.get(requested_item__request__number=t["fast"])
    with at(berlin(2026, 12, 4, 10)):
        in_time = client_for(t["rita"]).get(f"/portal/requests/{t['fast']}/").content
    with at(berlin(2026, 12, 4, 12)):
        late = client_for(t["rita"]).get(f"/portal/requests/{t['fast']}/").content
        task_page = client_for(t["sam"]).get(f"/desk/tasks/{task.number}/").content
    assert b">Due</span>" in in_time and b"2026-12-04 10:00" in in_time  # shown in UTC
    assert b">Overdue</span>" in late and b">Overdue</span>" in task_page


def test_the_task_api_shows_due_times_and_filters_the_overdue(two_tasks):
    t = two_tasks
    with at(berlin(2026, 12, 4, 12)):
        sam = client_for(t["sam"])
        late = sam.get("/api/v1/tasks?overdue=true").json()["items"]
        others = sam.get("/api/v1/tasks?overdue=false").json()["items"]
        by_due = sam.get("/api/v1/tasks?sort=due").json()["items"]
        wrong = sam.get("/api/v1/tasks?sort=whenever")
    assert [task["request"] for task in late] == [t["fast"]]
    assert late[0]["due_at"].startswith("2026-12-04T10:00:00")
    assert [task["request"] for task in others] == [t["slow"]]
    assert [task["request"] for task in by_due] == [t["fast"], t["slow"]]
    assert wrong.status_code == 422
