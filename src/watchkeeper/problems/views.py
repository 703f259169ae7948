"""The problem pages of the workspace: the list, a new problem (also from incidents selected in
the queue), and the problem page with a form for each change.

Everyone with ``problems.view`` reads them; changing needs ``problems.work`` (closing,
``problems.manage``), which the actions check. Forms post and redirect, so the pages work
without JavaScript; a refused change shows the page again with the reason beside the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.core import search
from watchkeeper.core.errors import (
    Conflict,
    PermissionDenied,
    ValidationError,
    message_of,
    status_of,
)
from watchkeeper.core.history_rows import history_rows
from watchkeeper.incidents.models import Incident
from watchkeeper.problems import actions
from watchkeeper.problems._common import visible_problems
from watchkeeper.problems.choices import (
    OPEN_PROBLEM_STATES,
    CandidateState,
    ProblemState,
    ProblemTaskState,
)
from watchkeeper.problems.forms import (
    AnalysisForm,
    FieldsForm,
    IncidentNumbersField,
    LinkForm,
    LinkToProblemForm,
    ProblemFilterForm,
    ProblemForm,
    ReasonForm,
    ResolveForm,
    StateForm,
    TaskAssignForm,
    TaskForm,
    TaskNotesForm,
    VersionedForm,
    show_errors,
)
from watchkeeper.problems.lifecycle import TRANSITIONS
from watchkeeper.problems.models import Problem, ProblemCandidate
from watchkeeper.problems.permissions import ProblemPermission
from watchkeeper.requests.queries import Tab

PAGE_SIZE = 50
MAX_FROM_QUEUE = 200
ActionError = (ValidationError, PermissionDenied, Conflict)
HISTORY_LABELS = {"five_whys": "Five whys", "known_error_at": "Known error since"}
FIELD_NAMES = [
    "short_description",
    "description",
    "category",
    "service",
    "impact",
    "urgency",
    "assignment_group",
    "assignee",
]


def me(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions store it)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def workspace_tab(user: Any) -> Tab | None:
    """The workspace's "Problems" tab, for those who read problems."""
    if not user.has_perm(ProblemPermission.VIEW):
        return None
    return Tab("problems", "Problems", reverse("problems:list"))


class ViewMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = ProblemPermission.VIEW


class WorkMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = ProblemPermission.WORK


def listed(user: Any, form: ProblemFilterForm) -> QuerySet[Problem]:
    data = form.cleaned_data if form.is_valid() else {}
    problems = visible_problems(user)
    state = data.get("state")
    problems = (
        problems.filter(state=state) if state else problems.filter(state__in=OPEN_PROBLEM_STATES)
    )
    if data.get("known_error"):
        problems = problems.filter(known_error=data["known_error"] == "yes")
    if data.get("group") is not None:
        problems = problems.filter(assignment_group=data["group"])
    problems = problems.order_by("priority", "-created_at", "-pk")
    if data.get("q"):
        problems = search.matching(problems, data["q"])
    return problems.select_related("assignment_group", "assignee").annotate(
        incident_count=Count("links")
    )


class ProblemListView(ViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = ProblemFilterForm(request.GET)
        page = Paginator(listed(request.user, form), PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "can_work": request.user.has_perm(ProblemPermission.WORK),
            "proposed_count": ProblemCandidate.objects.filter(
                state=CandidateState.PROPOSED
            ).count(),
        }
        return render(request, "problems/list.html", context)


class NewProblemView(WorkMixin, View):
    """A new problem; ``?incidents=INC…,INC…`` fills in the incidents (from the queue)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        numbers = request.GET.get("incidents", "")[:4000]
        initial = {"incidents": " ".join(numbers.replace(",", " ").split())}
        if initial["incidents"]:
            try:
                found = IncidentNumbersField().clean(initial["incidents"])
            except ValidationError:
                found = []
            if found:
                initial["short_description"] = found[0].short_description
        return render(request, "problems/new.html", {"form": ProblemForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProblemForm(request.POST)
        if form.is_valid():
            try:
                problem = actions.create_problem(acting_user=me(request), **form.cleaned_data)
            except ActionError as error:
                show_errors(form, error)
            else:
                count = len(form.cleaned_data["incidents"])
                messages.success(request, f"{problem.number} was opened with {count} incident(s).")
                return redirect("problems:record", number=problem.number)
        return render(request, "problems/new.html", {"form": form}, status=400)


class FromIncidentsView(WorkMixin, View):
    """The queue's "Create a problem" button: the selected incidents go to the new-problem form."""

    def post(self, request: HttpRequest) -> HttpResponse:
        numbers = list(dict.fromkeys(request.POST.getlist("numbers")))[:MAX_FROM_QUEUE]
        if not numbers:
            messages.error(request, "Select the incidents the problem causes first.")
            return redirect("incidents:queue")
        query = urlencode({"incidents": ",".join(numbers)})
        return redirect(f"{reverse('problems:new')}?{query}")


class LinkFromIncidentView(WorkMixin, View):
    """The incident page's "Link to a problem" form."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = Incident.objects.restrict(request.user).filter(number=number).first()
        if incident is None:
            raise Http404(number)
        form = LinkToProblemForm(request.POST)
        wanted = form.data.get("problem", "").strip().upper()[:16]
        problem = visible_problems(request.user).filter(number=wanted).first()
        if problem is None:
            messages.error(request, f"No problem {wanted or '(none given)'}.")
        else:
            try:
                actions.link_incident(problem, incident, acting_user=me(request))
            except ActionError as error:
                messages.error(request, explain(error))
            else:
                messages.success(request, f"{incident.number} was linked to {problem.number}.")
        return redirect("incidents:record", number=incident.number)


def explain(error: Exception) -> str:
    """An action's refusal for the message at the top, each field named."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            f"{field.replace('_', ' ')}: {' '.join(texts)}"
            for field, texts in error.message_dict.items()
        )
    return message_of(error)


def desk_problem(request: HttpRequest, number: str) -> Problem:
    found = (
        visible_problems(request.user)
        .select_related(
            "category",
            "service",
            "assignment_group",
            "assignee",
            "opened_by",
            "article",
            "duplicate_of",
        )
        .filter(number=number)
        .first()
    )
    if found is None:
        raise Http404(f"No problem {number}.")
    return found


def record_context(request: HttpRequest, problem: Problem, **bound: Any) -> dict[str, Any]:
    version = {"version": problem.version}
    allowed = TRANSITIONS[problem.state]
    defaults: dict[str, forms.Form] = {
        "fields_form": FieldsForm(
            initial={**version, **{n: getattr(problem, n) for n in FIELD_NAMES}}
        ),
        "analysis_form": AnalysisForm(
            initial={
                **version,
                "root_cause": problem.root_cause,
                "workaround": problem.workaround,
                "fix": problem.fix,
                "fix_reference": problem.fix_reference,
                "five_whys": AnalysisForm.as_text(problem.five_whys, "why", "because"),
                "timeline": AnalysisForm.as_text(problem.timeline, "at", "text"),
            }
        ),
        "state_form": StateForm(initial=version, current=problem.state),
        "resolve_form": ResolveForm(initial=version),
        "reopen_form": ReasonForm(initial=version),
        "version_form": VersionedForm(initial=version),
        "link_form": LinkForm(),
        "task_form": TaskForm(initial={"assignment_group": problem.assignment_group}),
    }
    defaults.update(bound)
    user = request.user
    links = problem.links.select_related("incident", "incident__assignment_group")
    return {
        **defaults,
        "problem": problem,
        "links": links.order_by("incident__number"),
        "open_incidents": sum(1 for link in links if link.incident.is_open),
        "items": problem.configuration_items.order_by("number"),
        "tasks": problem.tasks.select_related("assignment_group", "assignee"),
        "history": history_rows(problem, HISTORY_LABELS),
        "can_work": user.has_perm(ProblemPermission.WORK),
        "can_manage": user.has_perm(ProblemPermission.MANAGE),
        "can_edit": problem.state != ProblemState.CLOSED,
        "can_move": bool(defaults["state_form"].fields["state"].choices),  # type: ignore[attr-defined]
        "can_resolve": ProblemState.RESOLVED in allowed,
        "is_resolved": problem.state == ProblemState.RESOLVED,
        "task_forms": {"assign": TaskAssignForm(), "notes": TaskNotesForm()},
        "open_task_states": (ProblemTaskState.OPEN, ProblemTaskState.IN_PROGRESS),
    }


class ProblemView(ViewMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        problem = desk_problem(request, number)
        return render(request, "problems/record.html", record_context(request, problem))


Step = Callable[[Problem, Any, User], str]


def _fields(problem: Problem, data: dict[str, Any], user: User) -> str:
    version = data.pop("version")
    actions.update_problem(problem, acting_user=user, expected_version=version, **data)
    return f"{problem.number} was saved."


def _analysis(problem: Problem, data: dict[str, Any], user: User) -> str:
    version = data.pop("version")
    actions.update_problem(problem, acting_user=user, expected_version=version, **data)
    return f"The analysis of {problem.number} was saved."


def _state(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.move_problem(
        problem, state=data["state"], acting_user=user, expected_version=data["version"]
    )
    return f"{problem.number} is now {problem.get_state_display()}."


def _resolve(problem: Problem, data: dict[str, Any], user: User) -> str:
    duplicate = None
    if data.get("duplicate_of"):
        duplicate = visible_problems(user).filter(number=data["duplicate_of"].upper()).first()
        if duplicate is None:
            raise ValidationError({"duplicate_of": f"No problem {data['duplicate_of']}."})
    outcome = actions.resolve_problem(
        problem,
        code=data["code"],
        notes=data["notes"],
        acting_user=user,
        resolve_incidents=data["resolve_incidents"],
        duplicate_of=duplicate,
        expected_version=data["version"],
    )
    text = f"{problem.number} was resolved."
    if data["resolve_incidents"]:
        text += f" {len(outcome.resolved)} incident(s) resolved with it"
        text += f": {', '.join(outcome.resolved)}." if outcome.resolved else "."
    for number, why in outcome.not_resolved:
        text += f" {number} was not resolved: {why}"
    return text


def _close(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.close_problem(problem, acting_user=user, expected_version=data["version"])
    return f"{problem.number} was closed."


def _reopen(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.reopen_problem(
        problem, reason=data["reason"], acting_user=user, expected_version=data["version"]
    )
    return f"{problem.number} was reopened."


def _known_error(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.mark_known_error(problem, user, expected_version=data["version"])
    article = f" (article {problem.article.number})" if problem.article else ""
    return f"{problem.number} is a known error{article}."


def _link(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.link_incident(problem, data["incident"], acting_user=user)
    return f"{data['incident'].number} was linked."


def _unlink(problem: Problem, data: dict[str, Any], user: User) -> str:
    actions.unlink_incident(problem, data["incident"], acting_user=user)
    return f"{data['incident'].number} was unlinked."


def _task(problem: Problem, data: dict[str, Any], user: User) -> str:
    task = actions.create_task(problem, acting_user=user, **data)
    return f"{task.number} was added."


MOVES: dict[str, tuple[str, type[forms.Form], Step]] = {
    "fields": ("fields_form", FieldsForm, _fields),
    "analysis": ("analysis_form", AnalysisForm, _analysis),
    "state": ("state_form", StateForm, _state),
    "resolve": ("resolve_form", ResolveForm, _resolve),
    "close": ("version_form", VersionedForm, _close),
    "reopen": ("reopen_form", ReasonForm, _reopen),
    "known-error": ("version_form", VersionedForm, _known_error),
    "link": ("link_form", LinkForm, _link),
    "unlink": ("unlink_form", LinkForm, _unlink),
    "task": ("task_form", TaskForm, _task),
}


class ProblemActionView(WorkMixin, View):
    """One change on the problem page, by its ``move``; redirects back on success."""

    def post(self, request: HttpRequest, number: str, move: str) -> HttpResponse:
        if move not in MOVES:
            raise Http404(move)
        problem = desk_problem(request, number)
        key, form_class, step = MOVES[move]
        kwargs: dict[str, Any] = {"current": problem.state} if form_class is StateForm else {}
        form = form_class(request.POST, **kwargs)
        status = 400
        if form.is_valid():
            try:
                done = step(problem, dict(form.cleaned_data), me(request))
            except ActionError as error:
                show_errors(form, error)
                status = status_of(error)
                messages.error(request, f"Nothing was changed: {explain(error)}")
            else:
                messages.success(request, done)
                return redirect("problems:record", number=problem.number)
        else:
            messages.error(request, "Nothing was changed: see the form below.")
        problem = desk_problem(request, number)
        context = record_context(request, problem, **{key: form})
        return render(request, "problems/record.html", context, status=status)
