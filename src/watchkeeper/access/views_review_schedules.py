"""The review schedules' page: the campaigns started every so many months (e.g. quarterly per
service), for readers of the register; access managers add schedules and pause or resume them.
Every change goes through ``access.review_schedules`` (history, permission)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from watchkeeper.access import review_schedules
from watchkeeper.access.models import ReviewSchedule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.access.views_reviews import ActionError, StartForm, _apply_errors, _user
from watchkeeper.core.errors import status_of


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200, help_text='For example "ERP quarterly".')
    systems = StartForm.base_fields["systems"]
    every_months = forms.IntegerField(label="Every (months)", min_value=1, max_value=120, initial=3)
    days_to_complete = forms.IntegerField(
        label="Days to review", min_value=1, max_value=365, initial=14
    )
    next_on = forms.DateField(
        label="First campaign on", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["systems"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = StartForm().fields["systems"].queryset  # type: ignore[attr-defined]


def _readable(request: HttpRequest) -> None:
    if not request.user.has_perm(AccessPermission.VIEW_REGISTER):
        raise PermissionDenied("The review schedules are for readers of the access register.")


class SchedulesView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        _readable(request)
        return self._page(request, ScheduleForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(AccessPermission.MANAGE):
            raise PermissionDenied("Only access managers add review schedules.")
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, 400)
        try:
            made = review_schedules.save_schedule(None, dict(form.cleaned_data), _user(request))
        except ActionError as error:
            _apply_errors(form, error)
            return self._page(request, form, status_of(error))
        messages.success(request, f"The schedule {made.name} starts its first campaign on "
                         f"{made.next_on:%Y-%m-%d}.")  # fmt: skip
        return redirect("access:review_schedules")

    def _page(self, request: HttpRequest, form: ScheduleForm, status: int = 200) -> HttpResponse:
        schedules = ReviewSchedule.objects.prefetch_related("systems").order_by("name")
        context = {
            "schedules": schedules,
            "form": form,
            "can_manage": request.user.has_perm(AccessPermission.MANAGE),
        }
        return render(request, "access/reviews/schedules.html", context, status=status)


class ScheduleActiveView(LoginRequiredMixin, View):
    """Pause or resume a schedule (access managers)."""

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        if not request.user.has_perm(AccessPermission.MANAGE):
            raise PermissionDenied("Only access managers pause or resume review schedules.")
        schedule = get_object_or_404(ReviewSchedule, pk=schedule_id)
        active = request.POST.get("active") == "yes"
        try:
            review_schedules.save_schedule(schedule, {"is_active": active}, _user(request))
        except ActionError as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("access:review_schedules")
        messages.success(request, f"{schedule.name} {'resumed' if active else 'paused'}.")
        return redirect("access:review_schedules")
