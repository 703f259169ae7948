"""Reading tasks the way the queue and the API show them (one query, with what they display),
and the counts of the workspace's tabs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.requests.choices import OPEN_TASK_STATES, ApprovalState, ItemState
from watchkeeper.requests.delegation import delegators_of
from watchkeeper.requests.models import Approval, FulfilmentTask
from watchkeeper.requests.permissions import RequestPermission

#: How a task queue can be sorted: the soonest due first (tasks of items without a delivery
#: time last), or the oldest first.
TASK_SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("requested_item__due_at").asc(nulls_last=True), "created_at", "pk"),
    "created": ("created_at", "pk"),
}


def task_rows() -> QuerySet[FulfilmentTask]:
    return FulfilmentTask.objects.select_related(
        "requested_item__request__requested_for",
        "requested_item__catalog_item",
        "group",
        "assigned_to",
    )


def overdue_tasks(now: dt.datetime | None = None) -> QuerySet[FulfilmentTask]:
    """Open tasks of items still in fulfilment past their delivery time."""
    return FulfilmentTask.objects.filter(
        state__in=OPEN_TASK_STATES,
        requested_item__state=ItemState.IN_FULFILMENT,
        requested_item__due_at__lte=now or timezone.now(),
    )


def open_tasks_for_groups(user: Any) -> QuerySet[FulfilmentTask]:
    """The open tasks of ``user``'s groups."""
    groups = user.support_groups.all()
    return FulfilmentTask.objects.filter(state__in=OPEN_TASK_STATES, group__in=groups)


def waiting_approvals(user: Any) -> QuerySet[Approval]:
    """The approvals waiting for ``user``'s decision: theirs, or as a delegate today."""
    approvers = [user.pk, *delegators_of(user)]
    return Approval.objects.filter(approver_id__in=approvers, state=ApprovalState.REQUESTED)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str
    note: str = ""


def workspace_tabs(user: Any) -> list[Tab]:
    """The agent workspace's tabs ``user`` may open: incidents, fulfilment tasks (with the
    count open for their groups), their approvals (with the count waiting). None for those
    who have no workspace (they find their approvals in the portal)."""
    if not user.has_perm(IncidentPermission.VIEW_ALL):
        return []
    tabs = [Tab("incidents", "Incidents", reverse("incidents:queue"))]
    if user.has_perm(RequestPermission.VIEW_ALL):
        count = open_tasks_for_groups(user).count()
        url = f"{reverse('requests:desk_tasks')}?show=mine"
        tabs.append(Tab("tasks", "Tasks", url, f"{count} open for my groups"))
    count = waiting_approvals(user).count()
    tabs.append(Tab("approvals", "My approvals", reverse("requests:my_approvals"), str(count)))
    return tabs
