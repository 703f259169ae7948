"""Fulfilment plans: the tasks (TASK) that deliver a requested item, stage by stage.

When an item enters fulfilment, ``begin`` opens the tasks of its first stage (each with the
order's answers copied in, for the group of the step or else the item's fulfilment group);
``advance`` opens the next stage once a stage's tasks are all complete, and says when the last
one is: the item is then complete. An item whose catalog item has no plan is delivered by a
fulfiler marking it complete (``actions.complete_item``). A step with a webhook is done by a
call (``requests.webhooks``): a standard request completes itself when the call succeeds.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.core.jobs import enqueue_on_commit
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import save_versioned
from watchkeeper.requests.choices import OPEN_TASK_STATES, TaskState
from watchkeeper.requests.models import FulfilmentStep, FulfilmentTask, RequestedItem
from watchkeeper.requests.tasks import call_fulfilment_webhook


def has_plan(item: RequestedItem) -> bool:
    return item.catalog_item.fulfilment_steps.exists()


def begin(item: RequestedItem, *, acting_user: Any, channel: str) -> list[FulfilmentTask]:
    """Open the first stage's tasks (none without a plan)."""
    first = item.catalog_item.fulfilment_steps.order_by("stage").first()
    if first is None:
        return []
    return _open_stage(item, first.stage, acting_user, channel)


def advance(item: RequestedItem, *, acting_user: Any, channel: str) -> bool:
    """After a task closed: open the next stage when this one is done. True when nothing is
    left to do for the item."""
    if item.tasks.filter(state__in=OPEN_TASK_STATES).exists():
        return False
    done = item.tasks.order_by("-stage").values_list("stage", flat=True).first() or 0
    following = item.catalog_item.fulfilment_steps.filter(stage__gt=done).order_by("stage")
    step = following.first()
    if step is None:
        return True
    _open_stage(item, step.stage, acting_user, channel)
    return False


def cancel_tasks(item: RequestedItem, *, acting_user: Any, channel: str) -> None:
    for task in item.tasks.filter(state__in=OPEN_TASK_STATES):
        changes = {"state": (task.state, TaskState.CANCELLED)}
        task.state = TaskState.CANCELLED
        save_versioned(task, changes, action="updated", acting_user=acting_user, channel=channel)


def _open_stage(
    item: RequestedItem, stage: int, acting_user: Any, channel: str
) -> list[FulfilmentTask]:
    steps = FulfilmentStep.objects.filter(item=item.catalog_item, stage=stage)
    tasks = []
    for step in steps.select_related("group"):
        task = FulfilmentTask(
            number=next_number(FulfilmentTask.NUMBER_PREFIX),
            requested_item=item,
            stage=stage,
            step=step,
            title=step.title,
            instructions=step.instructions,
            answers=item.answers,
            group=step.group or item.fulfilment_group,
        )
        task.save()
        created = {
            "requested_item": (None, f"{item.request.number}/{item.position}"),
            "title": (None, task.title),
            "group": (None, task.group),
        }
        record_change(
            task, action="created", actor=acting_user, channel=channel or Channel.SYSTEM,
            changes=created,
        )  # fmt: skip
        if step.webhook_url:  # done by a call, once the task exists for good
            enqueue_on_commit(call_fulfilment_webhook, task.pk)
        tasks.append(task)
    return tasks
