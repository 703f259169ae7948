"""Notifications by e-mail: preferences, sending only on commit, and a real SMTP server."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.contrib import admin as django_admin
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client

from watchkeeper.accounts import actions
from watchkeeper.core import jobs, notifications
from watchkeeper.core.history import history_of
from watchkeeper.core.models import Notification, NotificationTemplate
from watchkeeper.core.notifications import (
    KINDS,
    NotificationKind,
    notify,
    notify_addresses,
    unread_count,
)

TEMPLATE = "accounts/email/password_changed.txt"


@pytest.fixture
def optional_kind(monkeypatch):
    """A kind of notification users may turn off."""
    kind = NotificationKind("ticket_updated", "Ticket updated", "A ticket you follow changed.")
    monkeypatch.setitem(KINDS, kind.key, kind)
    return kind.key


def _notify(users, kind: str, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return notify(
            users, kind=kind, subject="Hello", template=TEMPLATE, context={"user": users[0]}
        )


def test_an_optional_kind_goes_to_users_who_keep_it_on(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given a user with default preferences
    user = make_user("keen")

    # when they are notified
    sent = _notify([user], optional_kind, django_capture_on_commit_callbacks)

    # then one mail went to them, with the subject prefixed
    assert sent == 1
    assert [message.to for message in mail.outbox] == [["keen@example.org"]]
    assert mail.outbox[0].subject == "[Watchkeeper] Hello"
    assert "Hello keen," in mail.outbox[0].body


def test_an_optional_kind_turned_off_sends_nothing(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given a user who turned this kind off, and one who did not
    quiet = make_user("quiet", notification_settings={optional_kind: False})
    keen = make_user("keen")

    # when both are notified
    sent = _notify([quiet, keen], optional_kind, django_capture_on_commit_callbacks)

    # then only the other one gets mail
    assert sent == 1
    assert [message.to for message in mail.outbox] == [[keen.email]]


def test_turning_off_all_mail_stops_optional_kinds(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given a user who turned e-mail notifications off altogether
    user = make_user(notify_by_email=False)

    # when notified of an optional kind
    sent = _notify([user], optional_kind, django_capture_on_commit_callbacks)

    # then nothing is sent
    assert sent == 0
    assert mail.outbox == []


def test_a_kind_that_is_not_optional_is_always_sent(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given a user who turned every notification off
    user = make_user(notify_by_email=False, notification_settings={"account_security": False})

    # when notified about account security
    sent = _notify([user], "account_security", django_capture_on_commit_callbacks)

    # then the mail still goes out
    assert sent == 1
    assert [message.to for message in mail.outbox] == [[user.email]]


@pytest.mark.parametrize("kind", ["account_security", "ticket_updated"])
def test_inactive_users_and_users_without_e_mail_get_nothing(
    make_user, optional_kind, django_capture_on_commit_callbacks, kind
):
    # given an inactive user and one with no e-mail address
    inactive = make_user(is_active=False)
    no_address = make_user(email="")

    # when both are notified
    sent = _notify([inactive, no_address], kind, django_capture_on_commit_callbacks)

    # then nobody gets mail
    assert sent == 0
    assert mail.outbox == []


def test_an_unknown_kind_is_refused(make_user):
    # given an inactive user (who would get nothing anyway)
    user = make_user(is_active=False)

    # when notified of a kind nobody registered
    # then the mistake is reported, not silently ignored
    with pytest.raises(KeyError, match="no_such_kind"):
        notify([user], kind="no_such_kind", subject="x", template=TEMPLATE, context={})


@pytest.mark.django_db(transaction=True)
def test_no_mail_is_sent_when_the_transaction_rolls_back(make_user):
    # given a user
    user = make_user("rollback")

    # when a password change fails after its notification was queued
    def change_then_fail() -> None:
        with transaction.atomic():
            actions.change_password(user, "a brand new passphrase 99", acting_user=None)
            raise RuntimeError("something after the change failed")

    with pytest.raises(RuntimeError):
        change_then_fail()

    # then no mail went out
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_mail_is_sent_once_the_transaction_commits(make_user):
    # given a user
    user = make_user("committed")

    # when their password is changed
    with transaction.atomic():
        actions.change_password(user, "a brand new passphrase 99", acting_user=None)
        # then nothing is sent while the change is not committed
        assert mail.outbox == []

    # and the mail goes out once it is
    assert [message.to for message in mail.outbox] == [["committed@example.org"]]


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "desk@watchkeeper.example"
    yield mailbox
    controller.stop()


def test_a_password_change_is_mailed_through_a_real_smtp_server(
    make_user, smtp_server, django_capture_on_commit_callbacks
):
    # given a user and an SMTP server
    user = make_user("smtpuser", first_name="Sam", last_name="Tp")

    # when the user changes their password
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_password(
            user,
            "another long passphrase 77",
            old_password="correct horse battery staple 42",
            acting_user=user,
        )

    # then the server received one message for them, from the configured sender
    assert len(smtp_server.envelopes) == 1
    sender, recipients, message = smtp_server.envelopes[0]
    assert sender == "desk@watchkeeper.example"
    assert recipients == ["smtpuser@example.org"]
    assert message["To"] == "smtpuser@example.org"
    assert message["Subject"] == "[Watchkeeper] Your Watchkeeper password was changed"
    body = message.get_payload(decode=True).decode()
    assert "Hello Sam Tp," in body
    assert '"smtpuser" was changed' in body
    assert "/password-reset/" in body


def test_an_unreachable_smtp_server_does_not_undo_the_change(
    make_user, settings, django_capture_on_commit_callbacks, caplog
):
    # given an SMTP server that does not answer
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_TIMEOUT = 2
    user = make_user("unreachable")

    # when the user's password is changed
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_password(user, "another long passphrase 77", acting_user=None)

    # then the password is changed all the same, the failure was logged, and a retry waits
    user.refresh_from_db()
    assert user.check_password("another long passphrase 77")
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ConnectionRefusedError]
    assert len(failures) == 1
    (retry,) = jobs.HUEY.scheduled()
    assert isinstance(retry, notifications.send_email.task_class)
    assert retry.args[0] == ["unreachable@example.org"]


# In-app notifications and templates administrators edit.


def test_every_active_recipient_gets_an_in_app_notification_whatever_their_mail_choice(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given a user who wants mail, one who turned it off, and an inactive one
    keen, quiet = make_user("keen"), make_user("quiet", notify_by_email=False)
    gone = make_user("gone", is_active=False)

    # when all three are notified with a link per user
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(
            [keen, quiet, gone],
            kind=optional_kind,
            subject="INC1 needs\nyou",
            template=TEMPLATE,
            context={},
            url=lambda user: f"/for/{user.username}/",
        )

    # then only the keen one got mail, both active ones a one-line in-app notification
    assert sent == 1
    assert [m.to for m in mail.outbox] == [[keen.email]]
    inbox = Notification.objects.order_by("user__username")
    assert [(n.user, n.title, n.url) for n in inbox] == [
        (keen, "INC1 needs you", "/for/keen/"),
        (quiet, "INC1 needs you", "/for/quiet/"),
    ]


def test_an_active_template_from_the_admin_replaces_the_file(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    # given an administrator's wording for the template, using the same context
    NotificationTemplate.objects.create(
        key=TEMPLATE,
        subject="Security notice for {{ recipient.username }}",
        body="Dear {{ recipient.username }} & team, {{ user.email }} changed.",
    )
    user = make_user("eve")

    # when the user is notified
    _notify([user], optional_kind, django_capture_on_commit_callbacks)

    # then the mail uses it, as plain text
    (message,) = mail.outbox
    assert message.subject == "[Watchkeeper] Security notice for eve"
    assert message.body == "Dear eve & team, eve@example.org changed."


def test_an_inactive_template_is_ignored(
    make_user, optional_kind, django_capture_on_commit_callbacks
):
    NotificationTemplate.objects.create(key=TEMPLATE, body="Custom", is_active=False)
    user = make_user("ivy")

    _notify([user], optional_kind, django_capture_on_commit_callbacks)

    assert "Hello ivy," in mail.outbox[0].body


def test_a_broken_template_falls_back_to_the_file_and_is_logged(
    make_user, optional_kind, django_capture_on_commit_callbacks, caplog
):
    # given a template with a syntax error, saved around the admin's check
    NotificationTemplate.objects.create(key=TEMPLATE, body="{% if %}broken")
    user = make_user("bob")

    # when the user is notified
    sent = _notify([user], optional_kind, django_capture_on_commit_callbacks)

    # then the file's text went out and the broken template was logged
    assert sent == 1
    assert "Hello bob," in mail.outbox[0].body
    assert any(TEMPLATE in record.getMessage() for record in caplog.records)


def test_a_template_for_outside_addresses_is_used_too(db, django_capture_on_commit_callbacks):
    NotificationTemplate.objects.create(key=TEMPLATE, body="To whom it may concern")
    with django_capture_on_commit_callbacks(execute=True):
        notify_addresses(["cio@corp.example"], subject="News", template=TEMPLATE, context={})
    assert (mail.outbox[0].to, mail.outbox[0].body) == (
        ["cio@corp.example"],
        "To whom it may concern",
    )


def test_the_admin_refuses_a_template_with_a_syntax_error(db):
    template = NotificationTemplate(key=TEMPLATE, subject="{{ ok }}", body="{% for %}")
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert set(refused.value.message_dict) == {"body"}
    assert django_admin.site.is_registered(NotificationTemplate)


def _inbox_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_notifications_page_lists_only_the_users_own_and_marks_them_read(make_user):
    # given two unread notifications for a user and one for someone else
    user, other = make_user("una"), make_user("otto")
    Notification.objects.create(
        user=user, title="INC1 assigned to you", url="/desk/incidents/INC1/"
    )
    Notification.objects.create(user=user, title="INC2 resolved")
    Notification.objects.create(user=other, title="INC3 secret")
    client = _inbox_client(user)

    # when the user opens the page
    page = client.get("/notifications/")

    # then they see their own, with the unread count in the header, and not the other's
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/desk/incidents/INC1/"' in html and "INC2 resolved" in html
    assert "INC3 secret" not in html
    assert 'data-testid="unread-count"><span class="visually-hidden">(unread: </span>2' in html

    # and marking all read clears the count, for them only
    response = client.post("/notifications/")
    assert response.status_code == 302
    assert unread_count(user) == 0
    assert unread_count(other) == 1
    assert 'data-testid="unread-count"' not in client.get("/notifications/").content.decode()


def test_the_notifications_page_needs_a_login(db):
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_unread_count_is_one_query(make_user, django_assert_num_queries):
    user = make_user()
    Notification.objects.bulk_create([Notification(user=user, title=f"n{i}") for i in range(5)])
    with django_assert_num_queries(1):
        assert unread_count(user) == 5


def test_an_administrator_edits_a_template_in_the_admin_with_history(admin_user):
    # given an administrator in the admin
    client = _inbox_client(admin_user)
    url = "/admin/core/notificationtemplate/add/"
    fields = {"key": TEMPLATE, "subject": "Hi", "is_active": "on"}

    # when they save a broken template, then a good one
    broken = client.post(url, {**fields, "body": "{% if %}"})
    saved = client.post(url, {**fields, "body": "Hello {{ recipient.username }}"})

    # then the broken one is refused with a message, the good one saved and recorded
    assert broken.status_code == 200
    assert "Not a valid template" in broken.content.decode()
    assert saved.status_code == 302
    template = NotificationTemplate.objects.get(key=TEMPLATE)
    assert history_of(template).get().action == "created"
