"""Who hears about problem work: the group whose queue a problem or task lands in, and its
assignee; never the person who did it."""

from __future__ import annotations

from collections.abc import Callable

from django.core import mail

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.models import Notification
from watchkeeper.problems import actions
from watchkeeper.problems.models import Problem


def titles(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_the_group_and_the_assignee_hear_of_problems_and_tasks(
    make_problem: Callable[..., Problem],
    agent: User,
    team: SupportGroup,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks,
) -> None:
    # given a resolver in the agent's team
    rosa = make_user("rosa", Role.RESOLVER, email="rosa@example.org")
    team.members.add(rosa)
    # when the agent opens a problem for the team
    with django_capture_on_commit_callbacks(execute=True):
        problem = make_problem(assignment_group=team)
    # then Rosa hears of it in the app and by e-mail; the agent, who did it, does not
    assert titles(rosa) == [f"{problem.number} for {team}: {problem.short_description}"]
    assert titles(agent) == []
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    assert f"/desk/problems/{problem.number}/" in mail.outbox[0].body
    # when the agent gives her the problem, then a task
    actions.update_problem(problem, acting_user=agent, assignee=rosa)
    task = actions.create_task(problem, title="Find the cause", acting_user=agent)
    actions.assign_task(task, group=team, assignee=rosa, acting_user=agent)
    # then she hears of each; a change that moves nothing tells nobody
    actions.update_problem(problem, acting_user=agent, fix_reference="CHG0001")
    assert titles(rosa)[:3] == [
        f"{task.number} assigned to you: Find the cause",
        f"{task.number} for {team}: Find the cause",
        f"{problem.number} assigned to you: {problem.short_description}",
    ]
    assert len(titles(rosa)) == 4 and titles(agent) == []
