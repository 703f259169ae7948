"""The workspace's fulfilment tasks: the queue, a task with the order's answers, taking it and
completing it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import message_of
from watchkeeper.requests import actions
from watchkeeper.requests.choices import OPEN_TASK_STATES
from watchkeeper.requests.models import FulfilmentTask
from watchkeeper.requests.permissions import RequestPermission
from watchkeeper.requests.queries import task_rows

SHOWN = 200


class DeskMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = RequestPermission.VIEW_ALL


class TaskQueueView(DeskMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        mine = request.GET.get("show") == "mine"
        rows = task_rows().filter(state__in=OPEN_TASK_STATES)
        if mine:
            groups = request.user.support_groups.all()  # type: ignore[union-attr]
            rows = rows.filter(group__in=groups)
        context = {"tasks": list(rows.order_by("created_at", "pk")[:SHOWN]), "mine": mine}
        return render(request, "requests/desk/tasks.html", context)


class TaskView(DeskMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        task = get_object_or_404(FulfilmentTask, number=number.upper())
        variables = {v.name: v.label for v in task.requested_item.catalog_item.variables.all()}
        context = {
            "task": task,
            "answers": [(variables.get(name, name), value) for name, value in task.answers.items()],
            "can_work": request.user.has_perm(RequestPermission.FULFIL),
            "is_open": task.state in OPEN_TASK_STATES,
        }
        return render(request, "requests/desk/task.html", context)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        task = get_object_or_404(FulfilmentTask, number=number.upper())
        version = int(request.POST.get("version") or 0) or None
        try:
            if request.POST.get("do") == "take":
                actions.assign_task(
                    task, acting_user=request.user, assignee=request.user,
                    expected_version=version, channel=Channel.WEB,
                )  # fmt: skip
                messages.success(request, f"{task.number} is yours.")
            else:
                actions.complete_task(
                    task, acting_user=request.user, notes=request.POST.get("notes", "")[:5000],
                    expected_version=version, channel=Channel.WEB,
                )  # fmt: skip
                messages.success(request, f"{task.number} is complete.")
        except (ValidationError, PermissionDenied) as problem:
            messages.error(request, message_of(problem))
        return redirect("requests:desk_task", number=task.number)
