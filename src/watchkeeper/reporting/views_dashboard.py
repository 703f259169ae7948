"""The incident KPI dashboards: ``/reports/incidents/`` for every member of staff with
``reporting.view``, and ``/reports/services/``, the same dashboard with the service select
limited to the services the user owns (every service for administrators and auditors).

The filter form GETs the page again, so it works without JavaScript and every view of the
figures has its own address (to bookmark, to send, to drill down from). A bad filter answers
400 with the message beside the field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from watchkeeper.accounts.choices import Role
from watchkeeper.reporting.dashboard import incident_dashboard
from watchkeeper.reporting.dashboard_page import page_context
from watchkeeper.reporting.filters import DEFAULT_PERIOD, Filters, parse_filters
from watchkeeper.reporting.forms_dashboard import Choices, DashboardFilterForm, service_choices
from watchkeeper.reporting.home import owned_services
from watchkeeper.reporting.models import IncidentFact
from watchkeeper.reporting.permissions import ReportingPermission

TEMPLATE = "reporting/dashboard.html"


class ReportingViewMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; users without ``reporting.view`` get a 403."""

    permission_required = ReportingPermission.VIEW


def current_period(params: QueryDict | dict[str, str]) -> str:
    """The shortcut in force: the one asked for, none for custom dates, else the default."""
    return params.get("period") or ("" if params.get("start") else DEFAULT_PERIOD)


def _render(
    request: HttpRequest,
    context: dict[str, Any],
    *,
    params: QueryDict | dict[str, str],
    services: Choices,
    all_services: str | None,
    check: Any = None,
) -> HttpResponse:
    """Parse the filters, then the page with the figures, or (400) the form with the errors."""
    form_options: dict[str, Any] = {"services": services, "all_services": all_services}
    try:
        filters = parse_filters(params)
        if check is not None:
            check(filters)
    except ValidationError as error:
        form = DashboardFilterForm(params, **form_options)
        form.show_errors(error)
        context.update(form=form, board=None)
        return render(request, TEMPLATE, context, status=400)
    board = incident_dashboard(filters)
    context.update(page_context(board, path=request.path, current=current_period(params)))
    context["form"] = DashboardFilterForm.showing(filters, **form_options)
    return render(request, TEMPLATE, context)


class IncidentDashboardView(ReportingViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "title": "Incident KPIs",
            "intro": "How incidents were handled: volumes, times, service levels and trends. "
            "Every figure links to the incidents behind it.",
            "action": reverse("reporting:incidents"),
        }
        return _render(
            request, context, params=request.GET, services=service_choices(),
            all_services="All services",
        )  # fmt: skip


def busiest(services: list[Any]) -> Any:
    """The service with the most incidents (the first by name when none has any): the one an
    owner most likely wants to see first."""
    counts = dict(
        IncidentFact.objects.filter(service_id__in=[s.pk for s in services])
        .values("service_id")
        .annotate(n=Count("pk"))
        .values_list("service_id", "n")
    )
    return max(services, key=lambda service: counts.get(service.pk, 0))


def sees_every_service(user: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR, Role.AUDITOR))


class ServiceDashboardView(ReportingViewMixin, View):
    """The service owner's view: their services only, the busiest one unless they choose."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context: dict[str, Any] = {
            "title": "Service KPIs",
            "intro": "How the incidents of your services were handled. Choose a service; "
            "every figure links to the incidents behind it.",
            "action": reverse("reporting:services"),
        }
        if sees_every_service(request.user):
            return _render(
                request, context, params=request.GET, services=service_choices(),
                all_services="All services",
            )  # fmt: skip
        owned = owned_services(request.user)
        if not owned:
            context.update(board=None, form=None, no_services=True)
            return render(request, TEMPLATE, context)
        params = request.GET.copy()
        if not params.get("service"):
            params["service"] = str(busiest(owned).pk)
        mine = {service.pk for service in owned}

        def check(filters: Filters) -> None:
            if filters.service not in mine:
                raise ValidationError({"service": "Choose one of the services you own."})

        return _render(
            request, context, params=params, services=service_choices(owned),
            all_services=None, check=check,
        )  # fmt: skip
