"""Request jobs: reminders and escalations of approvals that wait (``requests.reminders``)."""

from __future__ import annotations

from watchkeeper.core.jobs import periodic
from watchkeeper.requests.reminders import remind_and_escalate


@periodic("*/15 * * * *")
def remind_waiting_approvals() -> tuple[int, int]:
    return remind_and_escalate()
