"""Tasks done by a call: a fulfilment step with a webhook URL (a provisioning script, an
identity system) is POSTed the order when its task opens; a 2xx answer completes the task as
the system, which may complete the item and the request — a standard request fulfils itself.

The body is JSON (task, request, item, quantity, who it is for, the answers). With a secret,
``X-Watchkeeper-Signature: sha256=<hex>`` is the HMAC-SHA256 of the body, for the receiver to
check. Any other answer, a timeout or a refused connection leaves the task open in its group's
queue, with the failure in its history, for a person to finish or retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.requests.choices import OPEN_TASK_STATES
from watchkeeper.requests.models import FulfilmentTask

TIMEOUT_SECONDS = 15


def body_of(task: FulfilmentTask) -> bytes:
    item = task.requested_item
    request = item.request
    payload = {
        "task": task.number,
        "request": request.number,
        "item": item.catalog_item.name,
        "quantity": item.quantity,
        "requested_for": {
            "username": request.requested_for.username,
            "email": request.requested_for.email,
        },
        "requested_by": request.requested_by.username,
        "answers": item.answers,
    }
    return json.dumps(payload, sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def call(task_id: int) -> bool:
    """Call the task's webhook; True when it answered 2xx and the task was completed."""
    task = (
        FulfilmentTask.objects.select_related(
            "step", "requested_item__request__requested_for", "requested_item__catalog_item"
        )
        .filter(pk=task_id, state__in=OPEN_TASK_STATES)
        .first()
    )
    if task is None or task.step is None or not task.step.webhook_url:
        return False
    body = body_of(task)
    headers = {"Content-Type": "application/json", "User-Agent": "Watchkeeper"}
    if task.step.webhook_secret:
        headers["X-Watchkeeper-Signature"] = signature(task.step.webhook_secret, body)
    outcome = _post(task.step.webhook_url, body, headers)
    from watchkeeper.requests import actions  # actions → fulfilment → tasks → here

    if outcome.startswith("HTTP 2"):
        actions.complete_task(task, acting_user=None, notes=f"Done by the webhook: {outcome}.")
        return True
    with transaction.atomic():
        changes: dict[str, Any] = {"webhook": (None, f"The call failed: {outcome}")}
        record_change(task, action="updated", channel=Channel.JOB, changes=changes)
    return False


def _post(url: str, body: bytes, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return f"no answer ({reason})"[:300]
