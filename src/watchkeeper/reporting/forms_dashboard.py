"""The dashboards' filter form: it only renders (labels, selects, errors beside the fields).

The query string is read by ``reporting.filters.parse_filters`` (the same parser the reports and
the API use); its messages are put beside the fields here, so every path says the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import Priority
from watchkeeper.incidents.models import Category
from watchkeeper.reporting.filters import Filters

Choices = list[tuple[str, str]]


def service_choices(services: Iterable[ConfigurationItem] | None = None) -> Choices:
    """The services to choose from: ``services`` when given, else every service."""
    if services is None:
        services = ConfigurationItem.objects.filter(ci_class__in=SERVICE_CLASSES).only("name")
    return [(str(ci.pk), ci.name) for ci in sorted(services, key=lambda ci: ci.name.lower())]


def group_choices() -> Choices:
    return [(str(pk), name) for pk, name in SupportGroup.objects.values_list("pk", "name")]


def category_choices() -> Choices:
    rows = Category.objects.values_list("pk", "name", "parent__name").order_by(
        "parent__name", "name"
    )
    return [(str(pk), f"{parent} / {name}" if parent else name) for pk, name, parent in rows]


def _select(label: str, choices: Choices, blank: str | None) -> forms.CharField:
    options = [("", blank), *choices] if blank is not None else choices
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=options))


class DashboardFilterForm(forms.Form):
    """Custom period (``start``/``end``, both days included) and the four dimensions."""

    start = forms.CharField(label="From", required=False, widget=forms.DateInput(
        attrs={"type": "date"}))  # fmt: skip
    end = forms.CharField(label="To (included)", required=False, widget=forms.DateInput(
        attrs={"type": "date"}))  # fmt: skip

    def __init__(
        self,
        data: Mapping[str, str],
        *,
        services: Choices,
        all_services: str | None = "All services",
    ) -> None:
        super().__init__(data)
        self.fields["service"] = _select("Service", services, all_services)
        self.fields["group"] = _select("Assignment group", group_choices(), "All groups")
        priorities = [(str(value), str(label)) for value, label in Priority.choices]
        self.fields["priority"] = _select("Priority", priorities, "All priorities")
        self.fields["category"] = _select("Category", category_choices(), "All categories")

    @classmethod
    def showing(cls, filters: Filters, **kwargs: Any) -> DashboardFilterForm:
        """The form filled with the filters in force (the period's days written out)."""
        data = {
            "start": filters.start.isoformat(),
            "end": (filters.end - dt.timedelta(days=1)).isoformat(),
        }
        for name in ("service", "group", "priority", "category"):
            value = getattr(filters, name)
            data[name] = "" if value is None else str(value)
        return cls(data, **kwargs)

    def show_errors(self, error: ValidationError) -> None:
        """Put the parser's messages beside their fields (a bad ``period`` above the form)."""
        self.is_valid()
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
