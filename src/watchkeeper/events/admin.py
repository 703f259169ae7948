"""Event management in the Django admin: sources' rules and maintenance windows are edited here
(checked by their models' ``clean``; a source's token is made by ``watchkeeper events source
create`` and never shown again); alerts, events and heartbeats are read only (the console and
the API act on alerts, through the actions)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.core.admin import ReadOnlyAdmin
from watchkeeper.events.models import (
    ActiveCheck,
    Alert,
    Event,
    EventSource,
    Heartbeat,
    MaintenanceWindow,
)


@admin.register(EventSource)
class EventSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "incident_severities", "resolve_incidents")
    list_filter = ("kind", "is_active")
    exclude = ("token_prefix", "token_digest")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a source is created with its token by the command


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_at", "ends_at", "schedule", "duration_minutes")
    filter_horizontal = ("configuration_items",)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("number", "severity", "status", "resource", "check_name", "count", "last_seen")
    list_filter = ("status", "severity", "source")
    search_fields = ("number", "resource", "check_name")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "source", "severity", "resource", "check_name", "alert")
    list_filter = ("severity", "source")
    date_hierarchy = "occurred_at"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "source", "interval_minutes", "last_beat_at", "late_since")


@admin.register(ActiveCheck)
class ActiveCheckAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "target", "interval_minutes", "last_severity", "last_run_at")
    list_filter = ("kind", "is_active", "source")
    readonly_fields = ("next_run_at", "last_run_at", "last_severity", "last_message")
