"""Suggested knowledge on the pages: the panel beside the portal's report form, the links and
"This solved my problem" button in it, and the "Suggested knowledge" card of an incident in the
workspace with its "Attach to the resolution" buttons.

The panel updates as the requester types (htmx asks ``SuggestionsView`` after a pause); without
JavaScript the form's "Look for articles first" button posts the form here and the same page
comes back with the panel filled and what was typed kept. Its URLs are included from the root
URLconf under the ``suggest`` namespace.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views import View

from watchkeeper.incidents.forms import ReportForm
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.views._common import acting_user, can_work, desk_incident, run_action
from watchkeeper.knowledge import deflection, suggest
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import Article, ArticleUse
from watchkeeper.knowledge.permissions import KnowledgePermission
from watchkeeper.problems.models import Problem
from watchkeeper.problems.permissions import ProblemPermission

app_name = "suggest"
REPORT_FIELDS = ("short_description", "description", "category", "subcategory", "service")


def _typed(data: QueryDict) -> str:
    return f"{data.get('short_description', '')} {data.get('description', '')}".strip()


def report_extras(request: HttpRequest, data: QueryDict | None = None) -> dict[str, Any]:
    """What the report form's page needs for the panel: the draft token (a new one, or the one
    posted back) and the articles matching what was typed (recorded as suggested)."""
    if not request.user.has_perm(KnowledgePermission.READ):
        return {}
    data = data if data is not None else request.POST  # empty on a GET: a fresh form
    draft = deflection.valid_draft(data.get("draft")) or deflection.new_draft()
    text = _typed(data)
    found = suggest.articles_for(text, request.user) if text else []
    deflection.record_suggested(draft, acting_user(request), [s.pk for s in found])
    return {"draft": draft, "suggestions": found, "typed": bool(text)}


def mark_submitted(request: HttpRequest, incident: Incident) -> None:
    """The report view calls this once the incident exists: the draft was no deflection."""
    draft = deflection.valid_draft(request.POST.get("draft"))
    deflection.mark_submitted(draft, incident, acting_user(request))


class SuggestionsView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The panel for what was typed: a fragment for htmx, else the whole report page."""

    permission_required = (KnowledgePermission.READ, IncidentPermission.REPORT)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._answer(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._answer(request, request.POST)

    def _answer(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        context = report_extras(request, data)
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "knowledge/suggest/_panel.html", context)
        form = ReportForm(initial={name: data.get(name) for name in REPORT_FIELDS})
        return render(request, "incidents/portal/report.html", {"form": form, **context})


def _readable(request: HttpRequest, number: str) -> Article:
    return get_object_or_404(suggest.readable_articles(request.user), number=number)


class OpenView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A suggestion's link: records that it was opened, then shows the article."""

    permission_required = KnowledgePermission.READ

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _readable(request, number)
        draft = deflection.valid_draft(request.GET.get("draft"))
        deflection.record_use(draft, acting_user(request), article, UseKind.OPENED)
        return redirect("knowledge:portal_article", number=article.number)


class SolvedView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """ "This solved my problem": recorded, and no incident is created."""

    permission_required = KnowledgePermission.READ

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        article = _readable(request, number)
        draft = deflection.valid_draft(request.POST.get("draft"))
        deflection.record_use(draft, acting_user(request), article, UseKind.SOLVED)
        thanks = f"Thank you: glad “{article.title}” solved it. No incident was created."
        if request.htmx:  # type: ignore[attr-defined]
            context = {"article": article, "thanks": thanks}
            return render(request, "knowledge/suggest/_solved.html", context)
        messages.success(request, thanks)
        return redirect("home")


def desk_card(user: Any, incident: Incident) -> dict[str, Any]:
    """The record page's "Suggested knowledge" card, for staff: articles matching the incident
    and known errors (for those who read problems), minus what is already attached."""
    if not user.has_perm(KnowledgePermission.READ_INTERNAL):
        return {}
    known = suggest.known_errors_for(incident) if user.has_perm(ProblemPermission.VIEW) else []
    attached = set(
        ArticleUse.objects.filter(incident=incident, kind=UseKind.ATTACHED).values_list(
            "article__number", flat=True
        )
    )
    skip = {match.problem.article_id for match in known if match.problem.article_id}
    text = f"{incident.short_description} {incident.description}"
    articles = suggest.articles_for(text, user, exclude={pk for pk in skip if pk is not None})
    card = {
        "articles": articles,
        "known_errors": known,
        "attached": sorted(attached),
        "can_attach": can_work(user),
    }
    return {"knowledge_card": card}


class AttachView(LoginRequiredMixin, View):
    """ "Attach to the resolution": a work note naming the article or known error."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        from watchkeeper.incidents.views.record import render_record  # it imports this module

        incident = desk_incident(request, number)
        if not can_work(request.user):
            raise PermissionDenied("Only the service desk changes incidents.")
        user = acting_user(request)
        article = problem = None
        if request.POST.get("article"):
            article = _readable(request, request.POST["article"])
        elif request.POST.get("problem"):
            if not user.has_perm(ProblemPermission.VIEW):
                raise PermissionDenied("Reading known errors needs the problems permission.")
            problem = get_object_or_404(Problem, number=request.POST["problem"])
        status = run_action(
            request,
            None,
            lambda: deflection.attach_to_incident(
                incident, acting_user=user, article=article, problem=problem
            ),
            "Attached: the work note names it for the resolution.",
        )
        if status == 200 and not request.htmx:  # type: ignore[attr-defined]
            return redirect("incidents:record", number=incident.number)
        return render_record(request, incident, status)


urlpatterns = [
    path("portal/report/suggestions/", SuggestionsView.as_view(), name="panel"),
    path("portal/report/suggestions/<str:number>/open/", OpenView.as_view(), name="open"),
    path("portal/report/suggestions/<str:number>/solved/", SolvedView.as_view(), name="solved"),
    path("desk/incidents/<str:number>/knowledge/attach/", AttachView.as_view(), name="attach"),
]
