"""The survey pages: ``/survey/<token>/`` where a recipient answers (no login: the signed token
stands for them), and ``/desk/surveys/`` where staff with ``reporting.view`` read the answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict
from watchkeeper.reporting import surveys
from watchkeeper.reporting.forms_surveys import SurveyAnswerForm, SurveyFilterForm
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.permissions import ReportingPermission

PAGE_SIZE = 50


def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    message = " ".join(error.messages)
    expired = message == surveys.EXPIRED
    context = {"message": message, "expired": expired}
    return render(request, "reporting/survey_invalid.html", context, status=400)


def _page(
    request: HttpRequest, survey: Survey, form: SurveyAnswerForm | None, *, status: int = 200
) -> HttpResponse:
    """The question (``form``), or, once answered, the thanks (409 when answered again)."""
    context = {
        "survey": survey,
        "record": surveys.record_of(survey),
        "is_incident": survey.incident_id is not None,
        "form": form,
        "again": status == 409,
    }
    template = "reporting/survey.html" if form is not None else "reporting/survey_done.html"
    return render(request, template, context, status=status)


class SurveyAnswerView(View):
    """No login needed; a logged-in user answers through the same link."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            survey = surveys.survey_for(token)
        except ValidationError as error:
            return _invalid(request, error)
        if survey.answered_at is not None:
            return _page(request, survey, None)
        return _page(request, survey, SurveyAnswerForm())

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            survey = surveys.survey_for(token)
        except ValidationError as error:
            return _invalid(request, error)
        if survey.answered_at is not None:
            return _page(request, survey, None, status=409)
        form = SurveyAnswerForm(request.POST)
        if not form.is_valid():
            return _page(request, survey, form, status=400)
        data = form.cleaned_data
        try:
            surveys.answer(survey, score=data["score"], comment=data["comment"],
                           channel=Channel.EMAIL)  # fmt: skip
        except Conflict:
            survey.refresh_from_db()
            return _page(request, survey, None, status=409)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
            return _page(request, survey, form, status=400)
        messages.success(request, "Thank you: your answer is recorded.")
        return redirect(request.path)


class SurveyListView(LoginRequiredMixin, View):
    """Answers given in a period (the last 30 days unless chosen), newest first, with the
    period's figures (``surveys.survey_results``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(ReportingPermission.VIEW):
            raise PermissionDenied("Survey results are for staff who read reports.")
        form = SurveyFilterForm(request.GET)
        context: dict[str, Any] = {"form": form, "page": None, "results": None}
        if not form.is_valid():
            return render(request, "reporting/survey_list.html", context, status=400)
        start, end, score = (form.cleaned_data[name] for name in ("start", "end", "score"))
        since, until = surveys.period_bounds(start, end)
        rows = Survey.objects.filter(answered_at__gte=since, answered_at__lt=until)
        if score is not None:
            rows = rows.filter(score=score)
        rows = rows.select_related("incident", "service_request", "recipient")
        page = Paginator(rows.order_by("-answered_at", "-pk"), PAGE_SIZE)
        query = {"start": start.isoformat(), "end": end.isoformat(), "score": score or ""}
        results = surveys.survey_results(start, end)
        context.update(
            page=page.get_page(request.GET.get("page")),
            query=urlencode(query),
            results=results,
            distribution=_distribution(results),
        )
        return render(request, "reporting/survey_list.html", context)


def _distribution(results: surveys.SurveyResults) -> list[tuple[int, str, int, int]]:
    """(score, label, answers, % of the answers) for each score, 5 first."""
    total = results.answered or 1
    return [
        (score, surveys.SCORES[score], count, round(100 * count / total))
        for score, count in sorted(results.distribution.items(), reverse=True)
    ]
