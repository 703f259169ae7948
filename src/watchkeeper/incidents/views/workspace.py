"""The agent workspace: queues with filters, saved filters, bulk actions, new incidents.

Everyone with ``incidents.view_all`` (auditors and service owners too) reads the queues; only
``incidents.work`` changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from watchkeeper.core import search
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import FINAL_STATES, OPEN_STATES, IncidentState
from watchkeeper.incidents.forms import (
    SORTS,
    AgentIncidentForm,
    BulkForm,
    QueueFilterForm,
    SavedFilterForm,
)
from watchkeeper.incidents.models import Incident, SavedFilter
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.views._common import (
    ActionError,
    acting_user,
    apply_errors,
    can_work,
    message_of,
)
from watchkeeper.sla.presentation import badges as sla_badges
from watchkeeper.sla.queries import breaching_soon

PAGE_SIZE = 50
MAX_BULK = 200
QUEUES = {
    "mine": "My work",
    "groups": "My groups' unassigned",
    "open": "All open",
    "major": "Major incidents",
    "updated": "Recently updated",
    "breaching": "Breaching soon",
}


class WorkspaceMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = IncidentPermission.VIEW_ALL


class WorkMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = IncidentPermission.WORK


def queue_queryset(queue: str, user: Any) -> QuerySet[Incident]:
    incidents = Incident.objects.restrict(user)
    if queue == "mine":
        return incidents.filter(assignee=user, state__in=OPEN_STATES)
    if queue == "groups":
        return incidents.filter(
            assignment_group__in=user.support_groups.all(),
            assignee__isnull=True,
            state__in=OPEN_STATES,
        )
    if queue == "major":
        return incidents.filter(is_major=True).exclude(state__in=FINAL_STATES)
    if queue == "open":
        return incidents.filter(state__in=OPEN_STATES)
    if queue == "breaching":
        return breaching_soon(incidents.filter(state__in=OPEN_STATES), timezone.now())
    return incidents


def filtered(queue: str, user: Any, form: QueueFilterForm) -> QuerySet[Incident]:
    queryset = queue_queryset(queue, user)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("state"):
        queryset = queryset.filter(state=data["state"])
    if data.get("priority"):
        queryset = queryset.filter(priority=data["priority"])
    if data.get("group") is not None:
        queryset = queryset.filter(assignment_group=data["group"])
    if data.get("assignee") is not None:
        queryset = queryset.filter(assignee=data["assignee"])
    sort = data.get("sort") or ("-updated" if queue == "updated" else "priority")
    field = SORTS[sort.lstrip("-")]
    direction = "-" if sort.startswith("-") else ""
    queryset = queryset.order_by(f"{direction}{field}", "-pk")
    if queue == "breaching" and not data.get("sort"):
        queryset = queryset.order_by("sla_due", "-pk")  # type: ignore[misc]  # annotated
    if data.get("q") and form.data.get("sort"):
        queryset = search.matching(queryset, data["q"])
    elif data.get("q"):
        queryset = search.search(queryset, data["q"])  # best matches first
    return queryset.select_related("caller", "assignment_group", "assignee")


class QueueView(WorkspaceMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        queue = request.GET.get("queue", "mine" if can_work(request.user) else "open")
        if queue not in QUEUES:
            queue = "open"
        form = QueueFilterForm(request.GET)
        page = Paginator(filtered(queue, request.user, form), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = list(page.object_list)
        badges = sla_badges(page.object_list, timezone.now())
        for incident in page.object_list:
            incident.sla_badge = badges.get(incident.pk)  # type: ignore[attr-defined]
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "queue": queue,
            "queues": [(key, label, _queue_url(key)) for key, label in QUEUES.items()],
            "queue_label": QUEUES[queue],
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "saved_filters": SavedFilter.objects.filter(user=acting_user(request)),
            "save_form": SavedFilterForm(initial={"query": _saved_query(request.GET, queue)}),
            "bulk_form": BulkForm(),
            "can_work": can_work(request.user),
            "next": request.get_full_path(),
        }
        return render(request, "incidents/desk/queue.html", context)


def _queue_url(queue: str) -> str:
    return f"{reverse('incidents:queue')}?{urlencode({'queue': queue})}"


def _saved_query(params: QueryDict, queue: str) -> str:
    kept = params.copy()
    kept.pop("page", None)
    kept["queue"] = queue
    return kept.urlencode()


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return redirect(target if safe and target.startswith("/desk/") else "incidents:queue")


class SavedFilterCreateView(WorkspaceMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedFilterForm(request.POST, user=request.user)
        if form.is_valid():
            query = QueryDict(form.cleaned_data["query"]).urlencode()  # normalised
            SavedFilter.objects.create(
                user=acting_user(request), name=form.cleaned_data["name"], query=query
            )
            messages.success(request, f"Filter {form.cleaned_data['name']!r} saved.")
            return redirect(f"{reverse('incidents:queue')}?{query}")
        errors = "; ".join(" ".join(map(str, texts)) for texts in form.errors.values())
        messages.error(request, f"The filter was not saved: {errors}")
        return _back(request)


class SavedFilterDeleteView(WorkspaceMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        saved = get_object_or_404(SavedFilter, pk=pk, user=acting_user(request))
        saved.delete()
        messages.success(request, f"Filter {saved.name!r} deleted.")
        return _back(request)


class BulkView(WorkMixin, View):
    """One action on each selected incident, each through its action; failures are per row."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkForm(request.POST)
        numbers = list(dict.fromkeys(request.POST.getlist("numbers")))[:MAX_BULK]
        if not numbers:
            messages.error(request, "Select at least one incident.")
            return _back(request)
        if not form.is_valid():
            errors = "; ".join(" ".join(map(str, texts)) for texts in form.errors.values())
            messages.error(request, f"Nothing was changed: {errors}")
            return _back(request)
        user = acting_user(request)
        step = _bulk_step(form.cleaned_data, user)
        incidents = {
            i.number: i for i in Incident.objects.restrict(user).filter(number__in=numbers)
        }
        done, failed = [], []
        for number in numbers:
            incident = incidents.get(number)
            if incident is None:
                failed.append(f"{number}: no such incident.")
                continue
            try:
                step(incident)
            except ActionError as error:
                failed.append(f"{number}: {message_of(error)}")
            else:
                done.append(number)
        if done:
            messages.success(request, f"Done for {len(done)}: {', '.join(done)}.")
        for failure in failed:
            messages.error(request, failure)
        return _back(request)


def _bulk_step(data: dict[str, Any], user: Any) -> Callable[[Incident], Any]:
    text = (data.get("text") or "").strip()
    if data["action"] == "assign":
        return lambda incident: actions.assign(
            incident, group=data["group"], assignee=data.get("assignee"), acting_user=user
        )
    if data["action"] == "comment":
        return lambda incident: actions.add_comment(incident, body=text, acting_user=user)
    state = data["state"]

    def move(incident: Incident) -> Any:
        if state == IncidentState.IN_PROGRESS and incident.state == IncidentState.RESOLVED:
            return actions.reopen(incident, reason=text, acting_user=user)
        if state == IncidentState.IN_PROGRESS:
            return actions.start_work(incident, acting_user=user)
        if state == IncidentState.ON_HOLD:
            return actions.put_on_hold(incident, reason=data["hold_reason"], acting_user=user)
        if state == IncidentState.RESOLVED:
            return actions.resolve(
                incident, code=data["resolution_code"], notes=text, acting_user=user
            )
        if state == IncidentState.CLOSED:
            return actions.close(incident, acting_user=user)
        return actions.cancel(incident, reason=text, acting_user=user)

    return move


class NewIncidentView(WorkMixin, View):
    """An agent records an incident for a caller on the phone or at the desk."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "incidents/desk/new.html", {"form": AgentIncidentForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AgentIncidentForm(request.POST)
        if form.is_valid():
            try:
                incident = actions.create_incident(
                    caller=form.cleaned_data["caller"],
                    short_description=form.cleaned_data["short_description"],
                    acting_user=acting_user(request),
                    channel=form.cleaned_data["channel"],
                    **form.action_fields(),
                )
            except ActionError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{incident.number} was created.")
                return redirect("incidents:record", number=incident.number)
        return render(request, "incidents/desk/new.html", {"form": form}, status=400)
