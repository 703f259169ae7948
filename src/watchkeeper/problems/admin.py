"""Problems in the admin: read-only, as every change goes through ``problems.actions`` with its
history (the workspace pages and the API are where problems are worked)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.problems.models import Problem, ProblemTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ("number", "short_description", "state", "priority", "known_error")
    list_filter = ("state", "known_error")
    search_fields = ("number", "short_description")


@admin.register(ProblemTask)
class ProblemTaskAdmin(ReadOnlyAdmin):
    list_display = ("number", "problem", "title", "kind", "state")
    list_filter = ("state", "kind")
    search_fields = ("number", "title")
