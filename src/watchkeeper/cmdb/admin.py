from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core import search
from watchkeeper.core.admin import HistoriedAdmin
from watchkeeper.core.numbering import next_number


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(HistoriedAdmin):
    list_display = ("number", "name", "ci_class", "status", "criticality", "support_group")
    list_filter = ("ci_class", "status", "criticality")
    search_fields = ("number", "name", "description")
    readonly_fields = ("number",)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            if not change:
                obj.number = next_number(ConfigurationItem.NUMBER_PREFIX)
            super().save_model(request, obj, form, change)
            search.index(obj, f"{obj.number} {obj.name} {obj.description}")
