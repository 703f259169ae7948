"""``watchkeeper send-event`` against a running server (pytest-django's live server), as a Nagios
or Icinga notification command runs it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from watchkeeper.events.management.commands.send_event import endpoint
from watchkeeper.events.models import Alert, EventSource
from watchkeeper.events.processor import drain
from watchkeeper.events.sources import source_for_token

pytestmark = pytest.mark.django_db(transaction=True)


def send(url: str, token: str, state: str, **options: str) -> None:
    call_command(
        "send_event", url=url, token=token, resource="web01", check="HTTP", state=state, **options
    )


def test_a_critical_then_an_ok_opens_and_closes_an_alert(make_source, live_server, capsys):
    # given
    _, token = make_source(kind="nagios")
    # when Nagios reports CRITICAL (twice, same id) then OK
    send(live_server.url, token, "CRITICAL", message="connection refused", id="nagios-7")
    send(live_server.url, token, "critical", message="connection refused", id="nagios-7")
    drain()
    alert = Alert.objects.get()
    send(live_server.url + "/api/v1/events", token, "OK", id="nagios-8")
    drain()
    # then the repeat counted once
    alert.refresh_from_db()
    assert (alert.severity, alert.message, alert.count) == ("critical", "connection refused", 2)
    assert alert.status == "closed"
    assert "Sent: critical for web01/HTTP (accepted: 1)." in capsys.readouterr().out


def test_host_states_and_the_token_from_the_environment(make_source, live_server, monkeypatch):
    _, token = make_source(kind="nagios")
    monkeypatch.setenv("WATCHKEEPER_EVENT_TOKEN", token)
    call_command("send_event", url=live_server.url, resource="sw01", state="DOWN")
    call_command("send_event", url=live_server.url, resource="sw02", state="UNREACHABLE")
    drain()
    assert {(a.resource, a.check_name, a.severity) for a in Alert.objects.all()} == {
        ("sw01", "host", "critical"),
        ("sw02", "host", "major"),
    }


def test_failures_exit_with_a_clear_message(make_source, live_server, monkeypatch):
    monkeypatch.delenv("WATCHKEEPER_EVENT_TOKEN", raising=False)
    _, token = make_source(kind="nagios")
    with pytest.raises(CommandError, match="401"):
        send(live_server.url, "wk_000000000000_nope", "OK")
    with pytest.raises(CommandError, match="--state must be one of"):
        send(live_server.url, token, "PURPLE")
    with pytest.raises(CommandError, match="WATCHKEEPER_EVENT_TOKEN"):
        send(live_server.url, "", "OK")
    with pytest.raises(CommandError, match="Cannot reach"):
        send("http://127.0.0.1:9", token, "OK")
    with pytest.raises(CommandError, match="http://"):
        send("file:///etc/passwd", token, "OK")
    assert drain() == 0 and not Alert.objects.exists()


def test_the_url_may_be_the_base_or_the_endpoint():
    assert endpoint("https://wk.example.org/") == "https://wk.example.org/api/v1/events"
    assert (
        endpoint("https://wk.example.org/api/v1/events") == "https://wk.example.org/api/v1/events"
    )


def test_events_source_create_prints_a_working_token(capsys):
    # when
    call_command("events", "source", "create", "nagios", "--kind", "nagios",
                 "--incident-severities", "critical, major")  # fmt: skip
    # then
    token = capsys.readouterr().out.strip()
    source = EventSource.objects.get(name="nagios")
    assert (source.kind, source.incident_severities) == ("nagios", ["critical", "major"])
    assert source_for_token(token) == source
    with pytest.raises(CommandError, match="incident_severities"):
        call_command("events", "source", "create", "other", "--incident-severities", "purple")
