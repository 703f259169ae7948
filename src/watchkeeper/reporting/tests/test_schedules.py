"""Report schedules: when they run, which period they report, the actions' checks and history,
and the job that sends what is due once, by e-mail, with the attachments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting import schedule_sending, schedules
from watchkeeper.reporting.models import ReportSchedule
from watchkeeper.reporting.tests.test_report_csv import (
    Week,
    by_first,
    make_week,
    sections,
)
from watchkeeper.reporting.views_reports import filters_words

pytestmark = pytest.mark.django_db
UTC = dt.UTC
#: Monday 2026-03-09, just after the weekly run.
MONDAY = dt.datetime(2026, 3, 9, 6, 5, tzinfo=UTC)


@pytest.fixture
def service_week(make_dated_incident: Callable[..., Incident]) -> Week:
    return make_week(make_dated_incident)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("sofia", Role.SERVICE_OWNER)


@pytest.fixture
def make_schedule(owner: User) -> Callable[..., ReportSchedule]:
    def make(**values: object) -> ReportSchedule:
        values.setdefault("name", "E-mail weekly")
        values.setdefault("frequency", "weekly")
        values.setdefault("formats", ["pdf", "csv"])
        values.setdefault("recipients", [owner])
        acting = values.pop("acting_user", owner)
        return schedules.create_schedule(acting_user=acting, now=utc(2026, 3, 4), **values)

    return make


@pytest.mark.parametrize(
    ("frequency", "after", "expected"),
    [
        ("daily", utc(2026, 3, 3, 5, 59), utc(2026, 3, 3, 6)),
        ("daily", utc(2026, 3, 3, 6), utc(2026, 3, 4, 6)),
        ("weekly", utc(2026, 3, 4, 12), utc(2026, 3, 9, 6)),  # Wednesday -> Monday
        ("weekly", utc(2026, 3, 9, 5), utc(2026, 3, 9, 6)),  # Monday before six
        ("weekly", utc(2026, 3, 9, 6, 1), utc(2026, 3, 16, 6)),
        ("monthly", utc(2026, 3, 15), utc(2026, 4, 1, 6)),
        ("monthly", utc(2026, 12, 31, 23), utc(2027, 1, 1, 6)),
        ("monthly", utc(2026, 4, 1, 5), utc(2026, 4, 1, 6)),
    ],
)
def test_next_run_is_at_six_on_the_frequencys_day(
    frequency: str, after: dt.datetime, expected: dt.datetime
) -> None:
    assert schedules.next_run(frequency, after) == expected


@override_settings(TIME_ZONE="Europe/Berlin")
def test_next_run_is_six_oclock_in_the_reporting_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 06:00 in Berlin is 05:00 UTC in winter and 04:00 UTC in summer
    assert schedules.next_run("daily", utc(2026, 3, 3, 5, 30)) == utc(2026, 3, 4, 5)
    assert schedules.next_run("monthly", utc(2026, 6, 15)) == dt.datetime(
        2026, 7, 1, 6, tzinfo=berlin
    )
    assert schedules.next_run("monthly", utc(2026, 6, 15)) == utc(2026, 7, 1, 4)


@pytest.mark.parametrize(
    ("frequency", "start", "end", "label"),
    [
        ("daily", dt.date(2026, 3, 8), dt.date(2026, 3, 9), "2026-03-08"),
        ("weekly", dt.date(2026, 3, 2), dt.date(2026, 3, 9), "2026-03-02 to 2026-03-08"),
        ("monthly", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "February 2026"),
    ],
)
def test_the_report_covers_the_period_that_just_ended(
    frequency: str, start: dt.date, end: dt.date, label: str
) -> None:
    assert schedules.report_period(frequency, MONDAY) == (start, end)
    assert schedules.period_label(frequency, start, end) == label


def test_creating_a_schedule_records_it_with_its_first_run(
    make_schedule: Callable[..., ReportSchedule], owner: User, service_week: Week
) -> None:
    made = make_schedule(filters={"service": service_week.email.pk, "priority": 2})
    assert made.owner == owner and made.next_run_at == utc(2026, 3, 9, 6)
    assert made.filters == {"service": service_week.email.pk, "priority": 2}
    assert list(made.recipients.all()) == [owner]
    entry = history_of(made).get()
    assert entry.action == "created" and entry.actor == owner
    assert entry.changes["recipients"]["new"] == ["sofia"]
    assert filters_words(made) == "Service: E-mail · Priority: 2 - High"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"recipients": []}, "recipients", "Choose at least one recipient."),
        ({"frequency": "hourly"}, "frequency", "Frequency must be one of daily, weekly, monthly."),
        ({"formats": []}, "formats", "Choose at least one format"),
        ({"formats": ["xls"]}, "formats", "not xls"),
        ({"name": "  "}, "name", "Give the schedule a name."),
        ({"filters": {"service": 999_999}}, "filters", "There is no service 999999."),
        ({"filters": {"priority": 7}}, "filters", "There is no priority 7."),
        ({"filters": {"team": 1}}, "filters", "not ['team']"),
        ({"filters": {"group": "1"}}, "filters", "must be an id"),
    ],
)
def test_a_schedule_with_a_bad_value_is_refused_naming_the_field(
    make_schedule: Callable[..., ReportSchedule], values: dict[str, object], field: str,
    message: str,
) -> None:  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        make_schedule(**values)
    assert message in " ".join(refused.value.message_dict[field])
    assert not ReportSchedule.objects.exists()


def test_an_inactive_recipient_is_refused(
    make_schedule: Callable[..., ReportSchedule], make_user: Callable[..., User]
) -> None:
    gone = make_user("gone", Role.AGENT, is_active=False)
    with pytest.raises(ValidationError, match="not active: gone"):
        make_schedule(recipients=[gone])


def test_only_roles_that_schedule_create_and_only_owner_or_admin_change(
    make_schedule: Callable[..., ReportSchedule],
    make_user: Callable[..., User],
    admin_user: User,
) -> None:
    # an agent reads reports but does not schedule them
    with pytest.raises(PermissionDenied):
        make_schedule(acting_user=make_user("alex", Role.AGENT))
    made = make_schedule()
    # another service owner may not change it or delete it
    other = make_user("otto", Role.SERVICE_OWNER)
    with pytest.raises(PermissionDenied):
        schedules.update_schedule(made, acting_user=other, name="Mine now")
    with pytest.raises(PermissionDenied):
        schedules.delete_schedule(made, acting_user=other)
    # an administrator may
    schedules.update_schedule(made, acting_user=admin_user, name="Renamed")
    made.refresh_from_db()
    assert made.name == "Renamed"
    assert history_of(made).last().changes == {"name": {"old": "E-mail weekly", "new": "Renamed"}}


def test_a_new_frequency_moves_the_next_run(
    make_schedule: Callable[..., ReportSchedule], owner: User, make_user: Callable[..., User]
) -> None:
    made = make_schedule()
    boss = make_user("boss", Role.SERVICE_OWNER)
    changed = schedules.update_schedule(
        made, acting_user=owner, now=utc(2026, 3, 4, 12), frequency="monthly",
        recipients=[owner, boss],
    )  # fmt: skip
    assert changed.next_run_at == utc(2026, 4, 1, 6)
    changes = history_of(made).last().changes
    assert changes["frequency"] == {"old": "weekly", "new": "monthly"}
    assert changes["recipients"] == {"old": ["sofia"], "new": ["boss", "sofia"]}


def test_due_reports_are_mailed_once_with_their_attachments(
    make_schedule: Callable[..., ReportSchedule],
    make_user: Callable[..., User],
    owner: User,
    service_week: Week,
) -> None:
    # given a weekly E-mail report for the owner, a colleague and someone without an address
    colleague = make_user("carla", Role.INCIDENT_MANAGER)
    nomail = make_user("nomail", Role.AGENT, email="")
    made = make_schedule(
        filters={"service": service_week.email.pk}, recipients=[owner, colleague, nomail]
    )
    # when the job runs on Monday after six
    sent = schedule_sending.send_due_reports(MONDAY)
    # then one message went to the two addresses, for last week, with a PDF and a CSV
    assert sent == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Report: E-mail weekly (2026-03-02 to 2026-03-08)"
    assert sorted(message.to) == ["carla@example.org", "sofia@example.org"]
    assert "Service: E-mail" in message.body and "Incidents opened: 3" in message.body
    names = [name for name, _content, _type in message.attachments]
    assert names == ["e-mail-weekly-2026-03-02.pdf", "e-mail-weekly-2026-03-02.csv"]
    pdf, csv_text = (content for _name, content, _type in message.attachments)
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_bounded()
    assert "Period: 2026-03-02 to 2026-03-08 (7 days)" in text
    # (Django keeps a text/* attachment as text: UTF-8, the BOM included)
    assert csv_text.startswith("\ufeffIncident report")
    assert by_first(sections(csv_text.encode())["KPIs"])["incidents_opened"][1] == "3"
    assert b'filename="e-mail-weekly-2026-03-02.pdf"' in message.message().as_bytes()
    # and the run moved on a week, recorded in the history
    made.refresh_from_db()
    assert made.last_sent_at == MONDAY and made.next_run_at == utc(2026, 3, 16, 6)
    entry = history_of(made).last()
    assert entry.action == "report_sent" and entry.channel == "job"
    assert entry.changes["period"]["new"] == "2026-03-02 to 2026-03-08"
    # when the job runs again (another worker, or the next quarter hour)
    assert schedule_sending.send_due_reports(MONDAY + dt.timedelta(minutes=15)) == 0
    # then nothing more is sent
    assert len(mail.outbox) == 1


def test_a_run_is_claimed_by_one_worker_only(
    make_schedule: Callable[..., ReportSchedule],
) -> None:
    # given two workers that both read the same due run
    made = make_schedule()
    run = schedule_sending.Run(made.pk, made.frequency, made.next_run_at, None)
    # when both claim it, only the first gets it
    assert schedule_sending._claim(run, MONDAY, sending=True) is True
    assert schedule_sending._claim(run, MONDAY, sending=True) is False
    assert history_of(made).filter(action="report_sent").count() == 1


def test_paused_and_not_yet_due_schedules_are_not_sent(
    make_schedule: Callable[..., ReportSchedule], owner: User
) -> None:
    paused = make_schedule(name="Paused", is_active=False)
    daily = make_schedule(name="Daily", frequency="daily")
    assert schedule_sending.send_due_reports(utc(2026, 3, 4, 5)) == 0
    assert schedule_sending.send_due_reports(utc(2026, 3, 5, 6)) == 1
    assert [m.subject for m in mail.outbox] == ["Report: Daily (2026-03-04)"]
    paused.refresh_from_db()
    daily.refresh_from_db()
    assert paused.last_sent_at is None and daily.next_run_at == utc(2026, 3, 6, 6)


def test_a_failed_send_gives_the_run_back_for_the_next_job(
    make_schedule: Callable[..., ReportSchedule], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = make_schedule()

    def refuse(self: object, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert schedule_sending.send_due_reports(MONDAY) == 0
    made.refresh_from_db()
    assert made.next_run_at == utc(2026, 3, 9, 6) and made.last_sent_at is None
    failed = history_of(made).last()
    assert failed.action == "report_failed" and "mail server down" in failed.changes["error"]["new"]
    # when the mail server is back, the next job sends it
    monkeypatch.undo()
    assert schedule_sending.send_due_reports(MONDAY + dt.timedelta(minutes=15)) == 1
    assert len(mail.outbox) == 1


def test_a_schedule_nobody_can_receive_moves_on_without_sending(
    make_schedule: Callable[..., ReportSchedule], make_user: Callable[..., User]
) -> None:
    made = make_schedule(recipients=[make_user("nomail", Role.AGENT, email="")])
    assert schedule_sending.send_due_reports(MONDAY) == 0 and mail.outbox == []
    made.refresh_from_db()
    assert made.next_run_at == utc(2026, 3, 16, 6) and made.last_sent_at is None
    assert history_of(made).last().action == "report_skipped"


def test_send_now_mails_every_recipient_and_keeps_the_next_run(
    make_schedule: Callable[..., ReportSchedule], owner: User
) -> None:
    made = make_schedule(formats=["csv"])
    delivery = schedule_sending.send_now(made, acting_user=owner, now=utc(2026, 3, 11, 10))
    assert delivery == schedule_sending.Delivery("2026-03-02 to 2026-03-08", ["sofia@example.org"])
    assert [name for name, _c, _t in mail.outbox[0].attachments] == ["e-mail-weekly-2026-03-02.csv"]
    made.refresh_from_db()
    assert made.next_run_at == utc(2026, 3, 9, 6) and made.last_sent_at == utc(2026, 3, 11, 10)
    assert history_of(made).last().actor == owner


def test_the_periodic_job_sends_what_is_due_now(
    make_schedule: Callable[..., ReportSchedule],
) -> None:
    # given a schedule whose first run (2026-03-09 06:00) has long passed
    from watchkeeper.reporting.tasks import send_due_report_schedules

    make_schedule()
    # when the job runs (inline in tests)
    send_due_report_schedules()
    # then the report went out
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Report: E-mail weekly (")
