"""The report schedule pages: the list and its form, edit, delete and send now; who sees and
changes which schedule; errors beside their fields; the service owner's home card."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.reporting import schedules
from watchkeeper.reporting.models import ReportSchedule

pytestmark = pytest.mark.django_db
LIST = reverse("reporting_reports:schedules")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("sofia", Role.SERVICE_OWNER)


@pytest.fixture
def schedule(owner: User) -> ReportSchedule:
    return schedules.create_schedule(
        acting_user=owner, name="Weekly figures", frequency="weekly", formats=["pdf"],
        recipients=[owner],
    )  # fmt: skip


def test_a_service_owner_adds_a_schedule_with_the_form(
    owner: User, make_user: Callable[..., User]
) -> None:
    # given a colleague to send it to
    colleague = make_user("carla", Role.INCIDENT_MANAGER)
    client = logged_in(owner)
    # when the owner opens the page, the form proposes them as the recipient
    page = client.get(LIST).content.decode()
    assert f'<option value="{owner.pk}" selected>' in page
    # and posts a monthly schedule of P1 incidents as PDF and CSV to both
    response = client.post(LIST, {
        "name": "P1 monthly", "frequency": "monthly", "priority": "1", "formats": ["pdf", "csv"],
        "recipients": [owner.pk, colleague.pk], "is_active": "on",
    })  # fmt: skip
    # then it is saved, owned by them, and listed
    assert response.status_code == 302 and response["Location"] == LIST
    made = ReportSchedule.objects.get()
    assert (made.owner, made.frequency, made.filters) == (owner, "monthly", {"priority": 1})
    assert made.formats == ["pdf", "csv"] and set(made.recipients.all()) == {owner, colleague}
    listing = client.get(LIST).content.decode()
    assert "P1 monthly" in listing and "Priority: 1 - Critical" in listing


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"recipients": []}, "recipients", "This field is required."),
        ({"frequency": "hourly"}, "frequency", "Select a valid choice."),
        ({"formats": []}, "formats", "This field is required."),
    ],
)
def test_a_bad_value_is_shown_beside_its_field(
    owner: User, change: dict[str, object], field: str, message: str
) -> None:
    data = {"name": "Weekly", "frequency": "weekly", "formats": ["pdf"], "recipients": [owner.pk]}
    response = logged_in(owner).post(LIST, {**data, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not ReportSchedule.objects.exists()
    assert message in response.content.decode()


def test_an_agent_reads_the_page_without_the_form_and_may_not_post(
    make_user: Callable[..., User], schedule: ReportSchedule
) -> None:
    agent = logged_in(make_user("alex", Role.AGENT))
    response = agent.get(LIST)
    assert response.status_code == 200 and response.context["form"] is None
    assert "Weekly figures" not in response.content.decode()  # not theirs
    assert agent.post(LIST, {"name": "x"}).status_code == 403


def test_others_schedules_are_hidden_from_a_service_owner_and_open_to_an_admin(
    make_user: Callable[..., User], schedule: ReportSchedule, admin_user: User
) -> None:
    edit = reverse("reporting_reports:schedule", args=[schedule.pk])
    other = logged_in(make_user("otto", Role.SERVICE_OWNER))
    assert other.get(edit).status_code == 404
    send = reverse("reporting_reports:schedule_send", args=[schedule.pk])
    assert other.post(send).status_code == 404
    assert mail.outbox == []
    auditor = logged_in(make_user("audrey", Role.AUDITOR))
    assert "Weekly figures" in auditor.get(LIST).content.decode()
    assert auditor.get(edit).status_code == 403
    assert logged_in(admin_user).get(edit).status_code == 200


def test_the_owner_edits_the_schedule_and_sees_its_history(
    owner: User, schedule: ReportSchedule
) -> None:
    client = logged_in(owner)
    edit = reverse("reporting_reports:schedule", args=[schedule.pk])
    page = client.get(edit)
    assert page.status_code == 200 and page.context["form"].initial["name"] == "Weekly figures"
    response = client.post(edit, {
        "name": "Daily figures", "frequency": "daily", "formats": ["csv"],
        "recipients": [owner.pk],
    })  # fmt: skip
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.frequency, schedule.is_active) == ("Daily figures", "daily",
                                                                      False)  # fmt: skip
    assert "Daily figures" in client.get(edit).content.decode()


def test_send_now_mails_the_recipients_and_says_so(owner: User, schedule: ReportSchedule) -> None:
    client = logged_in(owner)
    response = client.post(
        reverse("reporting_reports:schedule_send", args=[schedule.pk]), follow=True
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sofia@example.org"]
    assert mail.outbox[0].subject.startswith("Report: Weekly figures (")
    assert "went to 1 address." in response.content.decode()


def test_send_now_without_any_address_says_why(make_user: Callable[..., User], owner: User) -> None:
    nomail = make_user("nomail", Role.AGENT, email="")
    made = schedules.create_schedule(
        acting_user=owner, name="Nobody", frequency="daily", formats=["pdf"], recipients=[nomail]
    )
    response = logged_in(owner).post(
        reverse("reporting_reports:schedule_send", args=[made.pk]), follow=True
    )
    assert "None of the recipients has an e-mail address." in response.content.decode()
    assert mail.outbox == []


def test_the_owner_deletes_the_schedule(owner: User, schedule: ReportSchedule) -> None:
    client = logged_in(owner)
    url = reverse("reporting_reports:schedule_delete", args=[schedule.pk])
    assert "Delete the schedule Weekly figures?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not ReportSchedule.objects.exists()
    assert history_of(schedule).last().action == "deleted"


def test_the_service_owner_home_lists_their_schedules(
    owner: User, schedule: ReportSchedule
) -> None:
    page = logged_in(owner).get(reverse("home")).content.decode()
    assert 'data-testid="home-report-schedules"' in page
    assert "Weekly figures" in page and f'href="{LIST}"' in page
    local = schedule.next_run_at.astimezone(dt.UTC)
    assert f"next {local:%Y-%m-%d %H:%M}" in page


def test_send_now_says_when_the_mail_server_refuses(
    owner: User, schedule: ReportSchedule, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, fail_silently: bool = False) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    response = logged_in(owner).post(
        reverse("reporting_reports:schedule_send", args=[schedule.pk]), follow=True
    )
    assert response.status_code == 200
    assert "The mail server did not take the e-mail" in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.last_sent_at is None
