"""Access roles are declared in the admin for now (by administrators)."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.access.models import AccessRole, SodRule


@admin.register(AccessRole)
class AccessRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "system", "owner", "max_days", "catalog_item", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "system__name"]


@admin.register(SodRule)
class SodRuleAdmin(admin.ModelAdmin):
    list_display = ["first", "second", "description", "is_active"]
    list_filter = ["is_active"]
