"""Who hears about problem work: the assignee of a problem or a problem task, and the members
of its assignment group when it lands in their queue (as with incidents)."""

from __future__ import annotations

from typing import Any

from watchkeeper.core.notifications import notify, register_kind

register_kind(
    "problem_assigned",
    "Problems assigned",
    "A problem or problem task was assigned to you or to one of your groups.",
)


def assigned(record: Any, *, to_group: bool, to_assignee: bool, actor: Any = None) -> None:
    """``record``: a problem or a problem task; nobody hears about what they did themself."""
    problem = getattr(record, "problem", record)
    url = f"/desk/problems/{problem.number}/"
    context = {"record": record, "problem": problem}
    title = getattr(record, "title", None) or problem.short_description
    if to_assignee and record.assignee is not None and record.assignee != actor:
        notify(
            [record.assignee],
            kind="problem_assigned",
            subject=f"{record.number} assigned to you: {title}",
            template="problems/email/assigned.txt",
            context=context,
            url=url,
        )
    if to_group and record.assignment_group is not None:
        members = record.assignment_group.members.filter(is_active=True)
        skip = {getattr(actor, "pk", None), record.assignee_id}
        notify(
            [member for member in members if member.pk not in skip],
            kind="problem_assigned",
            subject=f"{record.number} for {record.assignment_group}: {title}",
            template="problems/email/assigned_group.txt",
            context=context,
            url=url,
        )
