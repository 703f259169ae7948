"""Problem tasks (PTASK): the pieces of a problem's work, assigned within a group, started,
completed with notes or cancelled with a reason. Each change is in the task's history, and
adding one in the problem's too.

(Named so because ``tasks.py`` is the app's background jobs, by the project's convention.)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import diff, record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned
from watchkeeper.problems import notifications
from watchkeeper.problems._common import changing, refuse_closed, require_work, sync
from watchkeeper.problems.choices import ProblemTaskKind, ProblemTaskState
from watchkeeper.problems.fields import check_assignment
from watchkeeper.problems.models import Problem, ProblemTask

T = ProblemTaskState
OPEN = (T.OPEN, T.IN_PROGRESS)


def create_task(
    problem: Problem,
    *,
    title: str,
    acting_user: Any,
    kind: str = ProblemTaskKind.GENERAL,
    description: str = "",
    assignment_group: Any = None,
    assignee: Any = None,
    channel: str = Channel.WEB,
) -> ProblemTask:
    """Add a task to an open problem (not to a resolved or closed one)."""
    require_work(acting_user)
    if kind not in ProblemTaskKind.values:
        raise ValidationError(
            {"kind": f"Kind must be one of: {', '.join(ProblemTaskKind.values)}."}
        )
    task = ProblemTask(
        problem=problem,
        kind=kind,
        title=(title or "").strip(),
        description=(description or "").strip(),
        assignment_group=assignment_group or problem.assignment_group,
        assignee=assignee,
    )
    check_assignment(task)
    task.full_clean(exclude=["number", "problem", "assignment_group", "assignee"])
    with changing(problem, None) as current:
        refuse_closed(current)
        if current.state == "resolved":
            raise ValidationError({"state": f"{current.number} is resolved: reopen it first."})
        task.number = next_number(ProblemTask.NUMBER_PREFIX)
        task.save()
        changes = {name: (None, getattr(task, name)) for name in ("title", "kind", "state")}
        if task.assignment_group is not None:
            changes["assignment_group"] = (None, task.assignment_group)
        if assignee is not None:
            changes["assignee"] = (None, assignee)
        record_change(task, action="created", actor=acting_user, channel=channel, changes=changes)
        record_change(
            current,
            action="task_added",
            actor=acting_user,
            channel=channel,
            changes={"task": (None, f"{task.number}: {task.title}")},
        )
        notifications.assigned(task, to_group=True, to_assignee=True, actor=acting_user)
    sync(problem, current)
    return task


def _change(
    task: ProblemTask,
    values: dict[str, Any],
    *,
    action: str,
    acting_user: Any,
    channel: str,
    expected_version: int | None,
    allowed_from: tuple[str, ...] = OPEN,
) -> ProblemTask:
    with transaction.atomic():
        current = lock_current(task, expected_version)
        if current.state not in allowed_from:
            raise ValidationError({"state": f"{current.number} is {current.get_state_display()}."})
        changes = diff(current, values)
        for name, value in values.items():
            setattr(current, name, value)
        check_assignment(current)
        save_versioned(current, changes, action=action, acting_user=acting_user, channel=channel)
        notifications.assigned(
            current, to_group="assignment_group" in changes, to_assignee="assignee" in changes,
            actor=acting_user,
        )  # fmt: skip
    sync(task, current)
    return task


def assign_task(
    task: ProblemTask,
    *,
    group: Any,
    assignee: Any = None,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> ProblemTask:
    """Assign to a group and, optionally, one of its members who works problems."""
    require_work(acting_user)
    values = {"assignment_group": group, "assignee": assignee}
    return _change(
        task,
        values,
        action="assigned",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
    )


def start_task(
    task: ProblemTask,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> ProblemTask:
    require_work(acting_user)
    return _change(
        task,
        {"state": T.IN_PROGRESS},
        action="started",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
        allowed_from=(T.OPEN,),
    )


def complete_task(
    task: ProblemTask,
    *,
    notes: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> ProblemTask:
    """Done, with notes on what was found or done."""
    require_work(acting_user)
    if not (notes or "").strip():
        raise ValidationError({"notes": "Say what was done."})
    values = {"state": T.COMPLETE, "notes": notes.strip(), "closed_at": timezone.now()}
    return _change(
        task,
        values,
        action="completed",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
    )


def cancel_task(
    task: ProblemTask,
    *,
    reason: str,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> ProblemTask:
    require_work(acting_user)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the task is cancelled."})
    values = {"state": T.CANCELLED, "notes": reason.strip(), "closed_at": timezone.now()}
    return _change(
        task,
        values,
        action="cancelled",
        acting_user=acting_user,
        channel=channel,
        expected_version=expected_version,
    )
