"""The backups overview, the backups section of an item's page, and recording a restore test.

Reading needs ``cmdb.view_cis``; recording a restore test needs ``cmdb.operate_backups``
(resolvers and service owners). Writes go through ``cmdb.backups``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_POST

from watchkeeper.accounts.models import User
from watchkeeper.cmdb import backups
from watchkeeper.cmdb.backups.common import MAX_TEXT
from watchkeeper.cmdb.choices import CiClass, CiStatus, RestoreResult
from watchkeeper.cmdb.classes import spec_of
from watchkeeper.cmdb.lookup import ci_or_404
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, RestoreTest
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.permissions import IncidentPermission

JOBS_PER_PAGE = 100
SERVICES_SHOWN = 100
RUNS_SHOWN = 10
TESTS_SHOWN = 5
MAX_MINUTES = (2**31 - 1) // 60
#: The action's field names, as the form calls them.
FORM_FIELDS = {"time_to_restore_seconds": "minutes_to_restore"}


class RestoreTestForm(forms.Form):
    tested_at = forms.DateTimeField(
        label="Tested at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the restore was done (not in the future).",
    )
    result = forms.ChoiceField(label="Result", choices=RestoreResult.choices)
    minutes_to_restore = forms.IntegerField(
        label="Time to restore (minutes)", min_value=0, max_value=MAX_MINUTES, required=False
    )
    backup_job = forms.ModelChoiceField(
        label="Restored from", queryset=ConfigurationItem.objects.none(), required=False
    )
    notes = forms.CharField(
        label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=MAX_TEXT
    )

    def __init__(self, *args: Any, ci: ConfigurationItem, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "restore")
        kwargs.setdefault("initial", {"tested_at": timezone.localtime().replace(second=0)})
        super().__init__(*args, **kwargs)
        jobs = backups.jobs_protecting([ci.pk]).order_by("name")
        field = self.fields["backup_job"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = jobs
        field.empty_label = "(not recorded)"


def can_operate(user: Any) -> bool:
    return bool(user.has_perm(CmdbPermission.OPERATE_BACKUPS))


def backups_context(ci: ConfigurationItem, user: Any) -> dict[str, Any]:
    """The context of ``cmdb/_backups_section.html`` for ``ci``'s page, seen by ``user``.

    Keys (all prefixed, so they never clash with the page's own):
    - ``backup_relevant``: whether the section has anything to say (a job; an item that is
      protected, restore-tested, has a policy, or is of a class that is backed up).
    - ``backup_is_job``: ``ci`` is a backup job.
    - ``backup_summary``: for a job, its ``JobSummary`` (schedule, its text, grace, next due,
      last run, 30-day ``Rate``, the items it protects); else None.
    - ``backup_runs``: for a job, its latest runs (newest first); else [].
    - ``backup_jobs``: for other items, a ``JobSummary`` per job protecting it; else [].
    - ``restore_status``: for other items, the ``RestoreStatus`` (policy, last success, last
      test, due date, overdue); else None.
    - ``restore_tests``: the latest restore tests of the item.
    - ``restore_form``: the "record restore test" form when ``user`` may record; else None.
    - ``restore_form_action``: where that form posts.
    - ``backup_overview_url``: the backups overview.
    - ``backup_rate_days``: the days a success rate covers.
    - ``backup_can_see_incidents``: whether to link the runs' incidents.
    """
    now = timezone.now()
    is_job = ci.ci_class == CiClass.BACKUP_JOB
    context: dict[str, Any] = {
        "backup_is_job": is_job,
        "backup_summary": None,
        "backup_runs": [],
        "backup_jobs": [],
        "restore_status": None,
        "restore_tests": [],
        "restore_form": None,
        "restore_form_action": reverse("cmdb:restore-test-add", args=[ci.number]),
        "backup_overview_url": reverse("cmdb:backups"),
        "backup_rate_days": backups.RATE_DAYS,
        "backup_can_see_incidents": user.has_perm(IncidentPermission.VIEW_ALL),
    }
    if is_job:
        context["backup_summary"] = backups.summarise([ci], now)[0]
        runs = BackupRun.objects.filter(job=ci).select_related("incident")
        context["backup_runs"] = list(runs.order_by("-finished_at", "-pk")[:RUNS_SHOWN])
        context["backup_relevant"] = True
        return context
    jobs = list(backups.jobs_protecting([ci.pk]).order_by("name"))
    tests = RestoreTest.objects.filter(ci=ci).select_related("backup_job", "recorded_by")
    context["backup_jobs"] = backups.summarise(jobs, now)
    context["restore_status"] = backups.restore_test_status(ci, now)
    context["restore_tests"] = list(tests.order_by("-tested_at", "-pk")[:TESTS_SHOWN])
    if can_operate(user):
        context["restore_form"] = RestoreTestForm(ci=ci)
    context["backup_relevant"] = bool(
        jobs or context["restore_tests"] or ci.restore_test_days or spec_of(ci.ci_class).protectable
    )
    return context


class BackupOverviewView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Every job with its last result, next due time and 30-day rate; overdue restore tests;
    the backup success rate of each business service."""

    permission_required = CmdbPermission.VIEW_CIS

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        jobs = ConfigurationItem.objects.backup_jobs().exclude(status=CiStatus.RETIRED)
        page = Paginator(jobs.select_related("support_group").order_by("name", "pk"), JOBS_PER_PAGE)
        page_obj = page.get_page(request.GET.get("page"))
        since = now - dt.timedelta(days=backups.RATE_DAYS)
        services = ConfigurationItem.objects.filter(ci_class=CiClass.BUSINESS_SERVICE)
        services = services.exclude(status=CiStatus.RETIRED).order_by("name", "pk")
        context = {
            "page": page_obj,
            "jobs": backups.summarise(list(page_obj.object_list), now),
            "overdue": backups.overdue_restore_tests(now),
            "service_rates": [
                backups.service_backup_rate(service, since) for service in services[:SERVICES_SHOWN]
            ],
            "services_capped": services.count() > SERVICES_SHOWN,
            "rate_days": backups.RATE_DAYS,
            "can_see_incidents": request.user.has_perm(IncidentPermission.VIEW_ALL),
            "now": now,
        }
        return render(request, "cmdb/backups.html", context)


def _acting_user(request: HttpRequest) -> User:
    user = get_user(request)
    assert isinstance(user, User)
    return user


def _apply_errors(form: RestoreTestForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, texts in error.message_dict.items():
        name = FORM_FIELDS.get(field, field)
        form.add_error(name if name in form.fields else None, texts)


@login_required
@require_POST
def record_restore_test_view(request: HttpRequest, number: str) -> HttpResponse:
    """Record a restore test from the item's page; back to that page, or the form with its
    errors beside the fields."""
    if not can_operate(request.user):
        raise PermissionDenied("Recording restore tests needs the permission to operate backups.")
    ci = ci_or_404(number)
    form = RestoreTestForm(request.POST, ci=ci)
    if form.is_valid():
        data = form.cleaned_data
        minutes = data["minutes_to_restore"]
        try:
            backups.record_restore_test(
                ci,
                tested_at=data["tested_at"],
                result=data["result"],
                time_to_restore_seconds=minutes * 60 if minutes is not None else None,
                notes=data["notes"],
                backup_job=data["backup_job"],
                acting_user=_acting_user(request),
                channel=Channel.WEB,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Restore test of {ci.number} recorded.")
            return redirect(backups.ci_url(ci))
    context = {"ci": ci, "form": form, "back_url": backups.ci_url(ci)}
    return render(request, "cmdb/restore_test_form.html", context, status=400)
