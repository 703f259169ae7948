"""Standard requests fulfilled by a call: a real HTTP server on loopback receives the signed
order; its 2xx completes the task, the item and the request; a failure leaves the task open."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from watchkeeper.core.history import history_of
from watchkeeper.requests import actions
from watchkeeper.requests.models import FulfilmentStep, FulfilmentTask, ServiceRequest
from watchkeeper.requests.webhooks import signature

SECRET = "provisioning secret"


@pytest.fixture
def receiver() -> Iterator[dict[str, Any]]:
    """A provisioning endpoint: records each call, answers with ``state["status"]``."""
    state: dict[str, Any] = {"status": 201, "calls": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["calls"].append((dict(self.headers), body))
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/provision"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox_item(make_item, receiver):
    item = make_item("Shared mailbox", {"name": "address", "label": "Address", "kind": "text"})
    FulfilmentStep.objects.create(
        item=item, stage=1, title="Create the mailbox", webhook_url=receiver["url"],
        webhook_secret=SECRET,
    )  # fmt: skip
    return item


def order(user, item, capture) -> ServiceRequest:
    with capture(execute=True):  # the call goes once the order is committed
        return actions.order(
            acting_user=user, lines=[actions.Line(item, {"address": "team@example.org"})]
        )


def test_a_standard_request_fulfils_itself_when_the_call_succeeds(
    make_user, mailbox_item, receiver, django_capture_on_commit_callbacks
):
    request = order(make_user("rita"), mailbox_item, django_capture_on_commit_callbacks)
    [(headers, body)] = receiver["calls"]
    assert headers["X-Watchkeeper-Signature"] == signature(SECRET, body)
    sent = json.loads(body)
    assert sent["request"] == request.number and sent["answers"] == {"address": "team@example.org"}
    assert sent["requested_for"]["username"] == "rita"
    request.refresh_from_db()
    assert request.state == "closed_complete"
    task = FulfilmentTask.objects.get()
    assert task.state == "complete"
    assert history_of(task).last().changes["notes"]["new"] == "Done by the webhook: HTTP 201."


def test_a_failed_call_leaves_the_task_open_for_people(
    make_user, mailbox_item, receiver, django_capture_on_commit_callbacks
):
    receiver["status"] = 500
    request = order(make_user("rita"), mailbox_item, django_capture_on_commit_callbacks)
    task = FulfilmentTask.objects.get()
    assert task.state == "open" and len(receiver["calls"]) == 1
    assert history_of(task).last().changes["webhook"]["new"] == "The call failed: HTTP 500"
    request.refresh_from_db()
    assert request.state == "open"
    # nobody listening: the same
    FulfilmentStep.objects.update(webhook_url="http://127.0.0.1:9/nothing")
    order(make_user("sue"), mailbox_item, django_capture_on_commit_callbacks)
    second = FulfilmentTask.objects.order_by("pk").last()
    assert second.state == "open"
    assert "no answer" in history_of(second).last().changes["webhook"]["new"]
