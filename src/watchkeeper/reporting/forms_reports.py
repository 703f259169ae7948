"""The report schedule form: a name, how often, the dashboard's filters (the same choices as the
dashboards' filter form), the formats and the recipients (active users). Checking the values
is the action's (``reporting.schedules``); its messages are put beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from watchkeeper.accounts.models import User
from watchkeeper.incidents.choices import Priority
from watchkeeper.reporting.choices import Frequency, ReportFormat
from watchkeeper.reporting.forms_dashboard import category_choices, group_choices, service_choices
from watchkeeper.reporting.models import ReportSchedule

FILTERS = ("service", "group", "priority", "category")


class RecipientField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        who = f"{name} ({obj.username})" if name else obj.username
        return who if obj.email else f"{who} - no e-mail address"


def _filter(label: str, blank: str, choices: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        choices=lambda: [("", blank), *choices()],
    )


def _priorities() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in Priority.choices]


class ScheduleForm(forms.Form):
    name = forms.CharField(
        max_length=150, help_text='For example "E-mail service, weekly".', strip=True
    )
    frequency = forms.ChoiceField(
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        help_text="Sent at 06:00: daily for yesterday, weekly for last week (Monday to Sunday), "
        "monthly for last month.",
    )
    service = _filter("Service", "All services", service_choices)
    group = _filter("Assignment group", "All groups", group_choices)
    priority = _filter("Priority", "All priorities", _priorities)
    category = _filter("Category", "All categories", category_choices)
    formats = forms.MultipleChoiceField(
        choices=ReportFormat.choices,
        initial=[ReportFormat.PDF],
        widget=forms.CheckboxSelectMultiple,
        help_text="Each format is one attachment of the e-mail.",
    )
    recipients = RecipientField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Active users; those without an e-mail address receive nothing.",
    )
    is_active = forms.BooleanField(label="Active (sent on schedule)", required=False, initial=True)

    @classmethod
    def of(cls, schedule: ReportSchedule) -> ScheduleForm:
        """The form filled with a schedule's values (its edit page)."""
        initial: dict[str, Any] = {
            "name": schedule.name,
            "frequency": schedule.frequency,
            "formats": schedule.formats,
            "recipients": list(schedule.recipients.all()),
            "is_active": schedule.is_active,
        }
        initial.update({name: (schedule.filters or {}).get(name) for name in FILTERS})
        return cls(initial=initial)

    def values(self) -> dict[str, Any]:
        """The cleaned data as the actions take it (the filters in one dict of ids)."""
        data = self.cleaned_data
        filters = {name: data[name] for name in FILTERS if data.get(name) is not None}
        values = {name: data[name] for name in ("name", "frequency", "formats", "is_active")}
        return {**values, "filters": filters, "recipients": list(data["recipients"])}

    def show_errors(self, error: ValidationError) -> None:
        """The action's messages beside their fields (filter problems above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
