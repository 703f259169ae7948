"""The workspace's fulfilment tasks: the queue (sorted by when they are due), a task with the
order's answers and files, taking it and completing it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import message_of
from watchkeeper.requests import actions, attachments
from watchkeeper.requests.choices import OPEN_TASK_STATES
from watchkeeper.requests.models import FulfilmentTask
from watchkeeper.requests.permissions import RequestPermission
from watchkeeper.requests.queries import TASK_SORTS, task_rows

SHOWN = 200


class DeskMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = RequestPermission.VIEW_ALL


class TaskQueueView(DeskMixin, View):
    """Open tasks (all, or my groups'), the soonest due first unless sorted by age."""

    def get(self, request: HttpRequest) -> HttpResponse:
        mine = request.GET.get("show") == "mine"
        sort = request.GET.get("sort", "due")
        if sort not in TASK_SORTS:
            sort = "due"
        rows = task_rows().filter(state__in=OPEN_TASK_STATES)
        if mine:
            groups = request.user.support_groups.all()  # type: ignore[union-attr]
            rows = rows.filter(group__in=groups)
        context = {
            "tasks": list(rows.order_by(*TASK_SORTS[sort])[:SHOWN]),
            "mine": mine,
            "sort": sort,
            "show": "mine" if mine else "all",
            "now": timezone.now(),
        }
        return render(request, "requests/desk/tasks.html", context)


class TaskView(DeskMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        task = get_object_or_404(task_rows(), number=number.upper())
        item = task.requested_item
        context = {
            "task": task,
            "item": item,
            "answers": attachments.shown(
                item.request.number, item.catalog_item.variables.all(), task.answers
            ),
            "can_work": request.user.has_perm(RequestPermission.FULFIL),
            "is_open": task.state in OPEN_TASK_STATES,
            "now": timezone.now(),
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
