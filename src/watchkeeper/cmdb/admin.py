"""The CMDB in the Django admin, to look only: items are edited on the CMDB pages, by the API or
by import, where their typed attributes, lifecycle and relations are checked and recorded."""

from django.contrib import admin

from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, Relation, RestoreTest
from watchkeeper.core.admin import ReadOnlyAdmin


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(ReadOnlyAdmin):
    list_display = ("number", "name", "ci_class", "status", "environment", "support_group")
    list_filter = ("ci_class", "status", "environment", "criticality")
    search_fields = ("number", "name", "hostname", "serial_number", "description")


@admin.register(Relation)
class RelationAdmin(ReadOnlyAdmin):
    list_display = ("source", "type", "target", "discovery_source", "created_at")
    list_filter = ("type",)
    search_fields = ("source__name", "target__name", "source__number", "target__number")


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "result", "finished_at", "size_bytes", "duration_seconds", "incident")
    list_filter = ("result",)
    date_hierarchy = "finished_at"


@admin.register(RestoreTest)
class RestoreTestAdmin(ReadOnlyAdmin):
    list_display = ("ci", "result", "tested_at", "time_to_restore_seconds", "recorded_by")
    list_filter = ("result",)
    date_hierarchy = "tested_at"
