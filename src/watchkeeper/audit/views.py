"""The process audit pages: the findings (filters, counts per check), one finding (its record,
history and the respond forms), the library of checks with "Run now", and the PDF report.

Holders of ``audit.view_findings`` see every finding; an owner without it sees their own; anyone
else gets a 403 page. Responding goes through ``audit.actions``; running through
``audit.runner``. The forms post and redirect, so they work without JavaScript.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.audit import actions, queries, report, runner
from watchkeeper.audit.checks import CHECKS
from watchkeeper.audit.choices import ACTIVE_STATES
from watchkeeper.audit.forms import AcceptForm, FindingFilterForm, RemediateForm, ReportForm
from watchkeeper.audit.models import Finding
from watchkeeper.audit.permissions import AuditPermission
from watchkeeper.audit.tasks import run_audit_checks_for
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, message_of, require_permission, status_of
from watchkeeper.core.history_rows import history_rows
from watchkeeper.core.jobs import enqueue

PAGE_SIZE = 50
ActionError = (ValidationError, PermissionDenied, Conflict)
HISTORY_LABELS = {"check_key": "Check", "record": "Record", "response": "Response"}


def _user(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions use its model)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def _apply_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            form.add_error(key if key in form.fields else None, texts)
    else:
        form.add_error(None, message_of(error))


class FindingListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        visible = queries.require_reader(user)
        form = FindingFilterForm(request.GET or None)
        shown, status = visible.none(), 200
        if not request.GET or form.is_valid():
            data = form.cleaned_data if request.GET else {}
            filters = queries.Filters(
                check=data.get("check", ""), state=data.get("state") or queries.ACTIVE,
                owner=(data.get("owner") or "").strip(), overdue=bool(data.get("overdue")),
            )  # fmt: skip
            try:
                shown = queries.apply_filters(visible, filters, user)
            except ValidationError as error:
                _apply_errors(form, error)
                status = 400
        else:
            status = 400
        page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
        for finding in page.object_list:
            check = CHECKS.get(finding.check_key)
            finding.check_title = check.title if check else finding.check_key  # type: ignore[attr-defined]
        query = request.GET.copy()
        query.pop("page", None)
        counts = queries.counts_by_check(visible.filter(state__in=ACTIVE_STATES))
        per_check = [(CHECKS[key], sum(c.values())) for key, c in counts.items() if key in CHECKS]
        context = {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": per_check,
            "reads_all": queries.reads_all(user),
            "today": timezone.localdate(),
        }
        return render(request, "audit/findings.html", context, status=status)


def _detail(
    request: HttpRequest,
    finding: Finding,
    remediate: RemediateForm | None = None,
    accept: AcceptForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    record = queries.record_of(finding)
    respond = actions.may_respond(user, finding) and finding.state in ACTIVE_STATES
    context = {
        "finding": finding,
        "check": CHECKS.get(finding.check_key),
        "record_url": queries.record_url(finding, record),
        "trail_url": queries.trail_url(finding) if user.has_perm("core.view_history") else None,
        "history": history_rows(finding, HISTORY_LABELS),
        "can_respond": respond,
        "can_remediate": respond and finding.state == "open",
        "remediate": remediate or RemediateForm(initial={"version": finding.version}),
        "accept": accept or AcceptForm(initial={"version": finding.version}),
        "overdue": finding.state in ACTIVE_STATES and finding.due_on < timezone.localdate(),
    }
    return render(request, "audit/finding.html", context, status=status)


class FindingView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return _detail(request, queries.finding_for(_user(request), number))


class RespondView(LoginRequiredMixin, View):
    """Marks the finding remediated (``action=remediate``) or accepts its risk (``accept``)."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        user = _user(request)
        finding = queries.finding_for(user, number)
        if not actions.may_respond(user, finding):
            raise PermissionDenied("Only the finding's owner or a process manager may respond.")
        accepting = request.POST.get("action") == "accept"
        form: forms.Form = AcceptForm(request.POST) if accepting else RemediateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if accepting:
                    actions.accept_risk(finding, reason=data["reason"], acting_user=user,
                                        expected_version=data.get("version"))  # fmt: skip
                else:
                    actions.remediate(finding, note=data["note"], acting_user=user,
                                      expected_version=data.get("version"))  # fmt: skip
            except ActionError as error:
                _apply_errors(form, error)
                return self._again(request, finding, form, accepting, status_of(error))
            done = "Risk accepted" if accepting else "Marked remediated"
            messages.success(request, f"{done}: {finding.number}.")
            return redirect("audit:finding", number=finding.number)
        return self._again(request, finding, form, accepting, 400)

    def _again(
        self, request: HttpRequest, finding: Finding, form: forms.Form, accepting: bool, status: int
    ) -> HttpResponse:
        finding.refresh_from_db()
        if accepting:
            return _detail(request, finding, accept=form, status=status)  # type: ignore[arg-type]
        return _detail(request, finding, remediate=form, status=status)  # type: ignore[arg-type]


class CheckListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        require_permission(user, AuditPermission.VIEW_FINDINGS)
        context = {
            "rows": queries.check_rows(Finding.objects.all()),
            "can_run": user.has_perm(AuditPermission.RUN_CHECKS),
        }
        return render(request, "audit/checks.html", context)


class RunCheckView(LoginRequiredMixin, View):
    """Runs one check (``key``) now and says what it found; without a key, every check, in the
    background (``tasks.run_audit_checks_for``)."""

    def post(self, request: HttpRequest, key: str = "") -> HttpResponse:
        user = _user(request)
        require_permission(user, AuditPermission.RUN_CHECKS)
        if not key:
            enqueue(run_audit_checks_for, user.pk, Channel.WEB)
            messages.success(request, "Every check is running; their last runs show here.")
            return redirect("audit:checks")
        if key not in CHECKS:
            messages.error(request, f"There is no check {key!r}.")
            return redirect("audit:checks")
        run = runner.run_check(key, started_by=user, channel=Channel.WEB)
        title = CHECKS[run.check_key].title
        if run.error:
            messages.error(request, f"{title}: the check failed ({run.error}).")
        else:
            said = f"{run.found} found, {run.opened} new, {run.closed} resolved"
            messages.success(request, f"{title}: {said}.")
        return redirect("audit:checks")


class ReportView(LoginRequiredMixin, View):
    """The PDF report for ``?since=&until=`` (default: the last 30 days)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        require_permission(user, AuditPermission.VIEW_FINDINGS)
        form = ReportForm(request.GET)
        if not form.is_valid():
            problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
            return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
        period = report.default_period()
        since = form.cleaned_data.get("since") or period.since
        until = form.cleaned_data.get("until") or period.until
        if until < since:
            problem = "until: The end of the period is before its start."
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        return report.pdf_download(report.Period(since, until), user)
