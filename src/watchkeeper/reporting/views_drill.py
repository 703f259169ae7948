"""The drill-down page, ``/reports/incidents/records/``: the incidents behind one dashboard
figure, 50 a page, with as many in all as the figure says (``reporting.drill``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.charts import DAYS
from watchkeeper.reporting.dashboard import AGE_BUCKETS, filter_labels
from watchkeeper.reporting.dashboard_page import period_label
from watchkeeper.reporting.drill import drill_facts
from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.filters import Filters, parse_filters
from watchkeeper.reporting.views_dashboard import ReportingViewMixin

PAGE_SIZE = 50
LABELS = {"service": "Service", "group": "Group", "priority": "Priority", "category": "Category"}


def heading(title: str, filters: Filters, params: Mapping[str, str]) -> str:
    """ "Resolution SLA missed - Service: E-mail - 2026-03-01 to 2026-03-31"; a breakdown row,
    a chart's bar or cell adds its value ("Group: Network", "Monday 09:00-09:59")."""
    named = [f"{LABELS[name]}: {label}" for name, label in filter_labels(filters).items()]
    named += drill_labels(filters, params)
    backlog = params.get("measure") == "backlog"
    return " - ".join([title, *named] if backlog else [title, *named, period_label(filters)])


def drill_labels(filters: Filters, params: Mapping[str, str]) -> list[str]:
    """The names of the values a drill-down link adds to the filters (ids already checked)."""
    labels = []
    for name in ("priority", "group", "service", "category"):
        value = params.get(f"drill_{name}", "")
        if value == "none":
            labels.append(f"{LABELS[name]}: (none)")
        elif value.isdigit():
            narrowed: dict[str, Any] = {name: int(value)}
            named = filter_labels(replace(filters, **narrowed))
            labels.append(f"{LABELS[name]}: {named[name]}")
    ci = params.get("drill_ci", "")
    if ci.isdigit():
        found = ConfigurationItem.objects.filter(pk=int(ci)).values_list("name", flat=True)
        labels.append(f"Configuration item: {found.first() or '#' + ci}")
    hour = params.get("drill_hour", "")
    if hour.isdigit() and int(hour) < 7 * 24:
        day, at = divmod(int(hour), 24)
        labels.append(f"{DAYS[day]} {at:02d}:00-{at:02d}:59")
    age = params.get("age", "")
    if age.isdigit() and int(age) < len(AGE_BUCKETS):
        labels.append(f"Age: {AGE_BUCKETS[int(age)][0]}")
    return labels


def incidents_of(facts: QuerySet, user: Any) -> QuerySet[Incident]:
    """The incidents of ``facts``, newest first, with what the table shows (one query a page)."""
    return (
        Incident.objects.restrict(user)
        .filter(pk__in=facts.values("incident_id"))
        .select_related("assignment_group")
        .order_by("-created_at", "-pk")
    )


class DrillView(ReportingViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            filters = parse_filters(request.GET)
            refresh_facts()  # as the dashboard does: the list and the figure must agree
            title, facts = drill_facts(filters, request.GET)
        except ValidationError as error:
            message = " ".join(" ".join(problems) for problems in error.message_dict.values())
            context = {"status": 400, "title": "Bad request", "message": message}
            return render(request, "error.html", context, status=400)
        page = Paginator(incidents_of(facts, request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        params = {key: value for key, value in request.GET.items() if key != "page"}
        context = {
            "heading": heading(title, filters, request.GET),
            "page": page,
            "query": urlencode(params),
            "back": f"{reverse('reporting:incidents')}?{filters.query()}",
        }
        return render(request, "reporting/drill.html", context)
