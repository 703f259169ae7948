"""Request jobs: fulfilment webhooks (``requests.webhooks``), reminders and escalations of
approvals that wait (``requests.reminders``), news of late deliveries (``requests.delivery``)."""

from __future__ import annotations

from watchkeeper.core.jobs import job, periodic


@job
def call_fulfilment_webhook(task_id: int) -> bool:
    from watchkeeper.requests.webhooks import call  # imported by fulfilment: import when run

    return call(task_id)


@periodic("*/15 * * * *")
def remind_waiting_approvals() -> tuple[int, int]:
    from watchkeeper.requests.reminders import remind_and_escalate

    return remind_and_escalate()


@periodic("*/15 * * * *")
def notify_late_deliveries() -> int:
    from watchkeeper.requests.delivery import notify_late

    return notify_late()
