"""The problem candidates page, /desk/problems/candidates/: what the recurring-incident analysis
proposed, with its evidence, and for problem managers the Accept and Dismiss forms.

Staff with ``problems.view`` read the page; anyone else gets a 403 page. The decisions go through
``candidates.accept`` and ``candidates.dismiss`` (which check ``problems.manage``); the forms post
and redirect, so the page works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import Conflict, message_of
from watchkeeper.problems import candidates
from watchkeeper.problems.choices import CandidateState
from watchkeeper.problems.models import ProblemCandidate
from watchkeeper.problems.permissions import ProblemPermission

PAGE_SIZE = 50
MAX_ID = 2**63 - 1
#: The incident numbers shown per candidate; the evidence may list up to 200.
SHOWN_INCIDENTS = 30
ActionError = (ValidationError, PermissionDenied, Conflict)


def _reader(request: HttpRequest) -> User:
    user = get_user(request)
    assert isinstance(user, User)
    if not user.has_perm(ProblemPermission.VIEW):
        raise PermissionDenied("Problem candidates are for the staff who work problems.")
    return user


def _candidate(candidate_id: int) -> ProblemCandidate:
    return get_object_or_404(ProblemCandidate, pk=min(candidate_id, MAX_ID))


class CandidateListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = _reader(request)
        show = request.GET.get("show", CandidateState.PROPOSED)
        rows = ProblemCandidate.objects.select_related("problem", "decided_by")
        if show in CandidateState.values:
            rows = rows.filter(state=show)
        else:
            show = "all"
        rows = rows.annotate(incident_count=Count("incidents")).order_by("-last_seen_at", "-pk")
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        for candidate in page.object_list:
            numbers = candidate.evidence.get("incidents", [])
            candidate.shown_incidents = numbers[:SHOWN_INCIDENTS]  # type: ignore[attr-defined]
        context = {
            "page": page,
            "show": show,
            "query": f"show={show}",
            "can_manage": user.has_perm(ProblemPermission.MANAGE),
            "shown_incidents": SHOWN_INCIDENTS,
        }
        return render(request, "problems/candidates/list.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('problems:candidates')}?show=proposed")


class AcceptView(LoginRequiredMixin, View):
    """Accept: a problem is opened from the incidents, and the manager is taken to it."""

    def post(self, request: HttpRequest, candidate_id: int) -> HttpResponse:
        user = _reader(request)
        candidate = _candidate(candidate_id)
        title = request.POST.get("short_description", "")[:160]
        try:
            problem = candidates.accept(candidate, acting_user=user, short_description=title)
        except ActionError as error:
            messages.error(request, f"{candidate.title}: {message_of(error)}")
            return _back(request)
        messages.success(request, f"{problem.number} opened from the candidate.")
        return redirect("problems:record", number=problem.number)


class DismissView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, candidate_id: int) -> HttpResponse:
        user = _reader(request)
        candidate = _candidate(candidate_id)
        reason = request.POST.get("reason", "")[: candidates.MAX_REASON + 1]
        try:
            candidates.dismiss(candidate, acting_user=user, reason=reason)
        except ActionError as error:
            messages.error(request, f"{candidate.title}: {message_of(error)}")
        else:
            messages.success(request, f"Dismissed: {candidate.title}.")
        return _back(request)
