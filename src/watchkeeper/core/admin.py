"""Django admin for configuration. Changes made there are written to the history like any other."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.core.models import Historied, HistoryEntry, NotificationTemplate, NumberSequence


class HistoriedAdmin(admin.ModelAdmin):
    """Saves through the admin append a history entry in the same transaction."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        fields = [name for name in form.changed_data if name != "password"]
        old = type(obj)._default_manager.filter(pk=obj.pk).values(*fields).first() if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = {
                name: ((old or {}).get(name), form.cleaned_data.get(name)) for name in fields
            }
            action = "updated" if change else "created"
            record_change(
                obj, action=action, actor=request.user, channel=Channel.WEB, changes=changes
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            record_change(obj, action="deleted", actor=request.user, channel=Channel.WEB)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "content_type",
        "object_id",
        "sequence",
        "at",
        "actor_label",
        "channel",
        "action",
    )
    list_filter = ("content_type", "channel", "action")
    search_fields = ("object_id", "actor_label")
    date_hierarchy = "at"


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "last_value")


__all__ = ["Historied", "HistoriedAdmin", "ReadOnlyAdmin"]


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(HistoriedAdmin):
    """Administrators reword notifications; an active one replaces the file of the same key."""

    list_display = ("key", "subject", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("key", "subject", "body")
