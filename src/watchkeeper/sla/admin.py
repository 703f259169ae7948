"""Calendar and SLA definition editors for administrators (Django admin, under /admin/sla/).

An edit here is recorded like one through the API: a history entry on the calendar or the
definition with what changed (its fields and its hours, holidays, exceptions, targets and
actions), then the open incidents' clocks are recomputed. Clocks are read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from watchkeeper.core.admin import HistoriedAdmin, ReadOnlyAdmin
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import jsonable, record_change
from watchkeeper.sla import actions
from watchkeeper.sla.models import (
    BusinessHours,
    Calendar,
    CalendarException,
    Holiday,
    SlaAction,
    SlaClock,
    SlaDefinition,
    SlaTarget,
)

BEFORE = "_sla_admin_before"


def describe(obj: Calendar | SlaDefinition) -> dict[str, Any]:
    """Everything an administrator can edit on the page, as comparable JSON values."""
    fields = {
        field.name: jsonable(getattr(obj, field.name))
        for field in obj._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    if isinstance(obj, Calendar):
        fields["hours"] = [str(h) for h in obj.hours.all()]
        fields["holidays"] = [str(h) for h in obj.holidays.all()]
        fields["exceptions"] = [str(e) for e in obj.exceptions.all()]
    else:
        fields["targets"] = [str(t) for t in obj.targets.all()]
        fields["actions"] = [str(a) for a in obj.actions.all()]
        for name in ("services", "caller_groups", "assignment_groups"):
            fields[name] = sorted(str(item) for item in getattr(obj, name).all())
    return fields


class RecordedAdmin(HistoriedAdmin):
    """``HistoriedAdmin`` (deletions recorded too), but a save is recorded after its inlines,
    so the entry holds the before and after of the hours, holidays, targets… as well; then the
    open incidents' clocks are recomputed."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = describe(type(obj).objects.get(pk=obj.pk)) if change else {}
        setattr(request, BEFORE, before)
        admin.ModelAdmin.save_model(self, request, obj, form, change)  # recorded in save_related

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, after = getattr(request, BEFORE, {}), describe(obj)
        changes = {
            name: (before.get(name), value)
            for name, value in after.items()
            if before.get(name) != value
        }
        if changes:
            record_change(
                obj,
                action="changed" if change else "created",
                actor=request.user,
                channel=Channel.WEB,
                changes=changes,
            )
            actions.recompute_later()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        actions.recompute_later()


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class ExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(RecordedAdmin):
    list_display = ("name", "time_zone", "always_open", "holiday_country", "holiday_subdivision")
    inlines = [BusinessHoursInline, HolidayInline, ExceptionInline]
    actions = ["generate_holidays"]

    @admin.action(description="Generate public holidays for this year and next")
    def generate_holidays(self, request: HttpRequest, queryset: QuerySet[Calendar]) -> None:
        year = timezone.now().year
        for calendar in queryset:
            try:
                count = actions.generate_holidays(
                    calendar, [year, year + 1], acting_user=request.user
                )
            except ValidationError as error:
                self.message_user(request, f"{calendar}: {error.messages[0]}", messages.ERROR)
                continue
            self.message_user(request, f"{calendar}: {count} holidays generated.")


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


class ActionInline(admin.TabularInline):
    model = SlaAction
    extra = 0


@admin.register(SlaDefinition)
class SlaDefinitionAdmin(RecordedAdmin):
    list_display = ("name", "kind", "metric", "calendar", "is_active")
    list_filter = ("kind", "metric", "is_active")
    filter_horizontal = ("services", "caller_groups", "assignment_groups")
    inlines = [TargetInline, ActionInline]


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    """Read-only: clocks are computed, never edited."""

    list_display = ("definition", "object_id", "status", "due_at", "breached_at", "computed_at")
    list_filter = ("status", "definition")
