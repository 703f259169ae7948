"""``watchkeeper send-event``: one event to a Watchkeeper server, for Nagios' and Icinga's
notification commands. It talks HTTP with the standard library only (urllib), so it needs nothing
but Watchkeeper's package on the monitoring host, and it exits non-zero with a clear message when
the event was not taken (the monitoring tool then logs the failure)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

#: Nagios and Icinga service and host states to our severities.
STATES: dict[str, str] = {
    "OK": "ok",
    "WARNING": "warning",
    "CRITICAL": "critical",
    "UNKNOWN": "minor",
    "UP": "ok",
    "DOWN": "critical",
    "UNREACHABLE": "major",
}
ENDPOINT = "/api/v1/events"


def endpoint(url: str) -> str:
    """The ingestion URL: the server's base URL, or the endpoint itself."""
    url = url.rstrip("/")
    return url if url.endswith(ENDPOINT) else url + ENDPOINT


def send(url: str, token: str, event: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
    """POST ``event``; the server's answer, or ``CommandError`` saying why it was not taken."""
    if not url.startswith(("http://", "https://")):
        raise CommandError(f"--url must start with http:// or https://, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        endpoint(url),
        data=json.dumps(event).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as error:
        raise CommandError(
            f"Watchkeeper refused the event: {error.code} {_detail(error)}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CommandError(f"Cannot reach Watchkeeper at {endpoint(url)}: {reason}") from None


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("detail", error.reason))
    except (ValueError, AttributeError, OSError):
        return str(error.reason)


class Command(BaseCommand):
    help = "Send one event to Watchkeeper (for Nagios and Icinga notification commands)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="Watchkeeper's base URL")
        parser.add_argument(
            "--token", default="", help="the source's token (else WATCHKEEPER_EVENT_TOKEN)"
        )
        parser.add_argument("--resource", required=True, help="host, e.g. $HOSTNAME$")
        parser.add_argument("--check", default="host", help="service, e.g. $SERVICEDESC$")
        parser.add_argument(
            "--state", required=True, help="OK, WARNING, CRITICAL, UNKNOWN, UP, DOWN, UNREACHABLE"
        )
        parser.add_argument("--message", default="", help="e.g. $SERVICEOUTPUT$")
        parser.add_argument("--id", default="", help="the event's id: a repeat counts once")
        parser.add_argument("--timeout", type=float, default=10, help="seconds (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        token = options["token"] or os.environ.get("WATCHKEEPER_EVENT_TOKEN", "")
        if not token:
            raise CommandError("Give the source's token: --token or WATCHKEEPER_EVENT_TOKEN.")
        state = options["state"].strip().upper()
        if state not in STATES:
            raise CommandError(f"--state must be one of {', '.join(STATES)}, not {state!r}")
        event = {
            "resource": options["resource"],
            "check": options["check"],
            "severity": STATES[state],
            "message": options["message"][:10_000],
        }
        if options["id"]:
            event["id"] = options["id"]
        answer = send(options["url"], token, event, options["timeout"])
        self.stdout.write(
            f"Sent: {STATES[state]} for {event['resource']}/{event['check']} "
            f"(accepted: {answer.get('accepted', 0)})."
        )
