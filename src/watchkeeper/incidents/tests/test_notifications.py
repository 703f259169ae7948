"""Incident notifications received by a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from watchkeeper.accounts.choices import Role
from watchkeeper.core.models import Notification
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import ResolutionCode


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[tuple[str, str]]:
        """(subject, body) of each message delivered to ``address``."""
        return [
            (message["Subject"], message.get_payload(decode=True).decode())
            for recipients, message in self.messages
            if address in recipients
        ]

    def recipients(self) -> set[str]:
        return {address for recipients, _ in self.messages for address in recipients}

    def clear(self) -> None:
        self.messages.clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield mailbox
    controller.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's on-commit jobs (the e-mails) as if its transaction committed."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def resolver(make_user):
    return make_user("ron", Role.RESOLVER, first_name="Ron")


@pytest.fixture
def network(make_group, resolver, make_user):
    """A group of two resolvers."""
    return make_group("Network", members=(resolver, make_user("nina", Role.RESOLVER)))


def test_the_caller_gets_mail_when_their_incident_is_created(
    make_incident, requester, smtp, committed
):
    # when the requester reports an incident
    with committed():
        incident = make_incident("VPN drops every hour", caller=requester)

    # then they receive one confirmation, with its number and portal link
    ((subject, body),) = smtp.to(requester.email)
    assert subject == f"[Watchkeeper] {incident.number} received: VPN drops every hour"
    assert "Hello Rita," in body
    assert f"/portal/incidents/{incident.number}/" in body
    assert smtp.recipients() == {requester.email}


@override_settings(SURVEYS=False)  # the survey e-mail: reporting/tests/test_surveys.py
def test_the_caller_gets_an_agents_comment_and_the_resolution(
    make_incident, requester, agent, smtp, committed
):
    # given the caller's incident
    incident = make_incident("VPN drops", caller=requester)

    # when an agent comments and then resolves it
    with committed():
        actions.add_comment(incident, body="Does it happen on Wi-Fi & cable?", acting_user=agent)
    with committed():
        actions.resolve(
            incident,
            code=ResolutionCode.SOLVED_PERMANENTLY,
            notes="New VPN profile",
            acting_user=agent,
        )

    # then the caller received both, as plain text, and the agent nothing
    (comment, resolved) = smtp.to(requester.email)
    assert comment[0] == f"[Watchkeeper] New comment on {incident}"
    assert "Does it happen on Wi-Fi & cable?" in comment[1]
    assert resolved[0] == f"[Watchkeeper] {incident.number} resolved: VPN drops"
    assert "New VPN profile" in resolved[1]
    assert smtp.to(agent.email) == []


def test_assignment_mails_the_group_and_the_assignee(
    make_incident, agent, resolver, network, make_user, smtp, committed
):
    # given an incident and someone outside the group
    incident = make_incident("Switch down", acting_user=agent)
    make_user("outsider", Role.RESOLVER)

    # when it is assigned to the network group, then to one of its members
    with committed():
        actions.assign(incident, group=network, acting_user=agent)
    group_mail = smtp.recipients()
    smtp.clear()
    with committed():
        actions.assign(incident, group=network, assignee=resolver, acting_user=agent)

    # then first every member heard of it, then only the assignee
    assert group_mail == {"ron@example.org", "nina@example.org"}
    ((subject, body),) = smtp.to(resolver.email)
    assert subject == f"[Watchkeeper] {incident.number} assigned to you: Switch down"
    assert f"/desk/incidents/{incident.number}/" in body
    assert smtp.recipients() == {resolver.email}


def test_the_assignee_gets_the_callers_comment(
    make_incident, requester, agent, resolver, network, smtp, committed
):
    incident = make_incident(caller=requester)
    actions.assign(incident, group=network, assignee=resolver, acting_user=agent)

    with committed():
        actions.add_comment(incident, body="It broke again at 10:00", acting_user=requester)

    ((_subject, body),) = smtp.to(resolver.email)
    assert "It broke again at 10:00" in body
    assert smtp.recipients() == {resolver.email}


@override_settings(SURVEYS=False)  # the survey e-mail: reporting/tests/test_surveys.py
def test_a_work_note_never_reaches_the_caller_or_watchers(
    make_incident, requester, agent, resolver, network, make_user, smtp, committed
):
    # given an incident assigned to a resolver, watched by another requester
    watcher = make_user("walt")
    incident = make_incident("Laptop overheats", caller=requester)
    actions.set_watch_list(incident, [watcher], acting_user=agent)
    actions.assign(incident, group=network, assignee=resolver, acting_user=agent)
    smtp.clear()

    # when an agent adds a work note, then a comment, then resolves
    secret = "Caller's laptop is on the recall list QX77"
    with committed():
        actions.add_work_note(incident, body=secret, acting_user=agent)
        actions.add_comment(incident, body="We will swap your laptop", acting_user=agent)
        actions.resolve(
            incident,
            code=ResolutionCode.SOLVED_PERMANENTLY,
            notes="Laptop swapped",
            acting_user=agent,
        )

    # then the assignee got the note; the caller and watcher got the comment and the resolution
    assert any(secret in body for _, body in smtp.to(resolver.email))
    for person in (requester, watcher):
        received = smtp.to(person.email)
        assert len(received) == 2
        assert all("QX77" not in subject + body for subject, body in received)
        assert all("work note" not in subject.lower() for subject, _ in received)
    assert "QX77" not in "".join(
        n.title for n in Notification.objects.filter(user__in=[requester, watcher])
    )


def test_preferences_turn_optional_kinds_off_but_not_in_app(
    make_incident, make_user, smtp, committed
):
    # given a caller who turned off updates on their incidents
    quiet = make_user("quiet", notification_settings={"incident_updates": False})

    # when they report an incident
    with committed():
        incident = make_incident(caller=quiet)

    # then no e-mail went out, but the in-app notification links to the portal page
    assert smtp.messages == []
    (note,) = Notification.objects.filter(user=quiet)
    assert note.url == f"/portal/incidents/{incident.number}/"
    assert note.read_at is None


def test_a_major_update_goes_to_the_listed_addresses(make_incident, manager, smtp, committed):
    # given a major incident
    incident = make_incident("Datacenter power loss")
    actions.declare_major(incident, reason="Everything down", manager=manager, acting_user=manager)
    smtp.clear()

    # when its manager posts an update to two stakeholders
    with committed():
        actions.post_major_update(
            incident,
            body="Generators running; services back by 14:00.",
            recipients=["cio@corp.example", "press@corp.example"],
            acting_user=manager,
        )

    # then each got it (and the caller, who follows the incident)
    for address in ("cio@corp.example", "press@corp.example", incident.caller.email):
        ((subject, body),) = smtp.to(address)
        assert subject == f"[Watchkeeper] Major incident {incident.number}: update"
        assert "Generators running; services back by 14:00." in body
