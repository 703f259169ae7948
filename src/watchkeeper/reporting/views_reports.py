"""The report pages: ``/reports/`` (the reports there are: the incident report with its filter
form, as dashboard, CSV or PDF; the schedules), the CSV and PDF downloads, and the report
schedules (list and create, edit, delete, send now). Everything is read with ``reporting.view``;
schedules are made by holders of ``reporting.schedule`` and changed by their owner or an
administrator, through ``reporting.schedules``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from watchkeeper.core.exports import download
from watchkeeper.core.history_rows import history_rows
from watchkeeper.reporting import schedule_sending, schedules
from watchkeeper.reporting.dashboard import filter_labels
from watchkeeper.reporting.filters import Filters, parse_filters
from watchkeeper.reporting.forms_dashboard import DashboardFilterForm, service_choices
from watchkeeper.reporting.forms_reports import ScheduleForm
from watchkeeper.reporting.models import ReportSchedule
from watchkeeper.reporting.permissions import ReportingPermission as P
from watchkeeper.reporting.report_csv import incident_report, to_csv
from watchkeeper.reporting.report_pdf import to_pdf

HISTORY_LABELS = {"next_run_at": "Next run", "last_sent_at": "Last sent", "is_active": "Active"}


def _require(request: HttpRequest, permission: str, why: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(why)


def _me(request: HttpRequest) -> Any:
    """The user itself, not the lazy proxy ``request.user`` (actions store it)."""
    return get_user(request)


def _url(name: str) -> str:
    """A page of the dashboards, or "" while it does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _bad_filters(request: HttpRequest, error: ValidationError) -> HttpResponse:
    context = {"status": 400, "title": "Bad filters", "message": " ".join(error.messages)}
    return render(request, "error.html", context, status=400)


class ReportIndexView(LoginRequiredMixin, View):
    """The reports there are, with the incident report's filter form (its buttons open the
    dashboard, the CSV or the PDF of the same filters) and the user's schedules."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, P.VIEW, "Reports are for staff who read reports.")
        status, services = 200, service_choices()
        try:
            form = DashboardFilterForm.showing(parse_filters(request.GET), services=services)
        except ValidationError as error:
            form = DashboardFilterForm(request.GET, services=services)
            form.show_errors(error)
            status = 400
        context = {
            "form": form,
            "dashboard_url": _url("reporting:incidents"),
            "services_url": _url("reporting:services"),
            "schedules": schedules.schedules_for(request.user)[:20],
            "can_schedule": request.user.has_perm(P.SCHEDULE),
        }
        return render(request, "reporting/report_index.html", context, status=status)


def _file_name(filters: Filters, extension: str) -> str:
    last = filters.end - dt.timedelta(days=1)
    return f"incident-report-{filters.start.isoformat()}-{last.isoformat()}.{extension}"


class IncidentReportDownload(LoginRequiredMixin, View):
    """The incident report for the query string's filters, as a file (CSV or PDF below)."""

    extension = ""
    content_type = ""

    def render(self, report: Any) -> bytes | str:
        raise NotImplementedError

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, P.VIEW, "Reports are for staff who read reports.")
        try:
            filters = parse_filters(request.GET)
        except ValidationError as error:
            return _bad_filters(request, error)
        content = self.render(incident_report(filters))
        return download(content, _file_name(filters, self.extension), self.content_type)


class IncidentCsvView(IncidentReportDownload):
    extension, content_type = "csv", "text/csv; charset=utf-8"

    def render(self, report: Any) -> bytes | str:
        return to_csv(report)


class IncidentPdfView(IncidentReportDownload):
    extension, content_type = "pdf", "application/pdf"

    def render(self, report: Any) -> bytes | str:
        return to_pdf(report)


# --- schedules --------------------------------------------------------------------------------


def filters_words(schedule: ReportSchedule) -> str:
    """ "Service: E-mail · Priority: 1 - Critical", or "All incidents" without filters."""
    filters = schedule_sending.schedule_filters(schedule, dt.date.min, dt.date.max)
    labels = filter_labels(filters)
    return " · ".join(f"{name.capitalize()}: {label}" for name, label in labels.items()) or (
        "All incidents"
    )


def _schedule(request: HttpRequest, schedule_id: int, *, edit: bool) -> ReportSchedule:
    """A schedule the user sees (404 otherwise); ``edit``: one they may change (403)."""
    found = get_object_or_404(schedules.schedules_for(request.user), pk=min(schedule_id, 2**63 - 1))
    if edit:
        schedules.require_editor(request.user, found)
    return found


class ScheduleListView(LoginRequiredMixin, View):
    """The user's schedules (every schedule for administrators and auditors) and, for those
    who schedule reports, the form that adds one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, P.VIEW, "Report schedules are for staff who read reports.")
        initial = {"recipients": [request.user]}
        form = ScheduleForm(initial=initial) if request.user.has_perm(P.SCHEDULE) else None
        return self._page(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        _require(request, P.SCHEDULE, "Your role does not schedule reports.")
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, 400)
        try:
            made = schedules.create_schedule(acting_user=_me(request), **form.values())
        except ValidationError as error:
            form.show_errors(error)
            return self._page(request, form, 400)
        messages.success(
            request, f"The schedule {made.name} sends its first report on "
            f"{timezone.localtime(made.next_run_at):%Y-%m-%d %H:%M}."
        )  # fmt: skip
        return redirect("reporting_reports:schedules")

    def _page(
        self, request: HttpRequest, form: ScheduleForm | None, status: int = 200
    ) -> HttpResponse:
        rows = schedules.schedules_for(request.user)
        listed = [(row, filters_words(row), schedules.can_edit(request.user, row)) for row in rows]
        context = {"schedules": listed, "form": form, "time_zone": settings.TIME_ZONE}
        return render(request, "reporting/schedule_list.html", context, status=status)


class ScheduleEditView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        schedule = _schedule(request, schedule_id, edit=True)
        return self._page(request, schedule, ScheduleForm.of(schedule))

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        schedule = _schedule(request, schedule_id, edit=True)
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self._page(request, schedule, form, 400)
        try:
            schedules.update_schedule(schedule, acting_user=_me(request), **form.values())
        except ValidationError as error:
            form.show_errors(error)
            return self._page(request, schedule, form, 400)
        messages.success(request, f"The schedule {form.cleaned_data['name']} is saved.")
        return redirect("reporting_reports:schedules")

    def _page(
        self, request: HttpRequest, schedule: ReportSchedule, form: ScheduleForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "schedule": schedule,
            "form": form,
            "preview_query": _preview_query(schedule),
            "filters_words": filters_words(schedule),
            "history": history_rows(schedule, HISTORY_LABELS),
        }
        return render(request, "reporting/schedule_form.html", context, status=status)


def _preview_query(schedule: ReportSchedule) -> str:
    """The query of the ad hoc report of the period the next e-mail would cover."""
    start, end = schedules.report_period(schedule.frequency, schedule.next_run_at)
    return schedule_sending.schedule_filters(schedule, start, end).query()


class ScheduleDeleteView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        schedule = _schedule(request, schedule_id, edit=True)
        return render(request, "reporting/schedule_delete.html", {"schedule": schedule})

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        schedule = _schedule(request, schedule_id, edit=True)
        name = schedule.name
        schedules.delete_schedule(schedule, acting_user=_me(request))
        messages.success(request, f"The schedule {name} is deleted.")
        return redirect("reporting_reports:schedules")


class ScheduleSendView(LoginRequiredMixin, View):
    """Send the report of the period that just ended to every recipient now."""

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        schedule = _schedule(request, schedule_id, edit=True)
        try:
            sent = schedule_sending.send_now(schedule, acting_user=_me(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reporting_reports:schedules")
        count = len(sent.addresses)
        messages.success(
            request, f"The report {schedule.name} ({sent.period}) went to {count} "
            f"address{'es' if count != 1 else ''}."
        )  # fmt: skip
        return redirect("reporting_reports:schedules")
