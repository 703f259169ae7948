"""The problem page's task forms: assign, start, complete or cancel one problem task."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.problems import actions
from watchkeeper.problems.forms import TaskAssignForm, TaskNotesForm, VersionedForm
from watchkeeper.problems.models import ProblemTask
from watchkeeper.problems.views import ActionError, WorkMixin, desk_problem, explain, me

TASK_MOVES: dict[str, type[forms.Form]] = {
    "assign": TaskAssignForm,
    "start": VersionedForm,
    "complete": TaskNotesForm,
    "cancel": TaskNotesForm,
}


def _task_step(task: ProblemTask, move: str, data: dict[str, Any], user: User) -> str:
    version = data["version"]
    if move == "assign":
        actions.assign_task(
            task,
            group=data["group"],
            assignee=data["assignee"],
            acting_user=user,
            expected_version=version,
        )
        return f"{task.number} was assigned."
    if move == "start":
        actions.start_task(task, acting_user=user, expected_version=version)
        return f"{task.number} was started."
    if move == "complete":
        actions.complete_task(task, notes=data["notes"], acting_user=user, expected_version=version)
        return f"{task.number} was completed."
    actions.cancel_task(task, reason=data["notes"], acting_user=user, expected_version=version)
    return f"{task.number} was cancelled."


class TaskActionView(WorkMixin, View):
    """Assign, start, complete or cancel one task; the outcome shows on the problem page."""

    def post(self, request: HttpRequest, number: str, task: str, move: str) -> HttpResponse:
        if move not in TASK_MOVES:
            raise Http404(move)
        problem = desk_problem(request, number)
        found = problem.tasks.filter(number=task).first()
        if found is None:
            raise Http404(task)
        form = TaskAssignForm(request.POST) if move == "assign" else TASK_MOVES[move](request.POST)
        if not form.is_valid():
            errors = "; ".join(" ".join(map(str, texts)) for texts in form.errors.values())
            messages.error(request, f"{found.number} was not changed: {errors}")
            return redirect("problems:record", number=problem.number)
        try:
            done = _task_step(found, move, dict(form.cleaned_data), me(request))
        except ActionError as error:
            messages.error(request, f"{found.number} was not changed: {explain(error)}")
        else:
            messages.success(request, done)
        return redirect(f"{reverse('problems:record', args=[problem.number])}#tasks")
