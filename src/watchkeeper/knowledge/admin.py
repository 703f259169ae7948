"""Knowledge categories are kept in the admin (by administrators). Articles are read-only here:
their text and life go through the actions (versions, review, history) in the workspace."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.knowledge.models import Article, KnowledgeCategory


@admin.register(KnowledgeCategory)
class KnowledgeCategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "audience", "state", "owner", "valid_until", "view_count"]
    list_filter = ["state", "audience"]
    search_fields = ["number", "title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
