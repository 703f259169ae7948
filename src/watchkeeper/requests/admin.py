"""The catalog is kept in the admin for now, by administrators (a catalog editor for service
owners, who hold ``requests.manage_catalog``, comes with the portal's catalog pages)."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


class CatalogVariableInline(admin.TabularInline):
    model = CatalogVariable
    extra = 1
    fields = [
        "position", "name", "label", "kind", "required", "help_text", "choices", "minimum",
        "maximum",
    ]  # fmt: skip


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 0
    fields = ["level", "approver_kind", "group", "user", "rule"]


class FulfilmentStepInline(admin.TabularInline):
    model = FulfilmentStep
    extra = 0
    fields = ["stage", "title", "group", "instructions", "webhook_url", "webhook_secret"]


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "fulfilment_group", "cost", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "summary"]
    filter_horizontal = ["audience_groups"]
    inlines = [CatalogVariableInline, ApprovalStepInline, FulfilmentStepInline]
