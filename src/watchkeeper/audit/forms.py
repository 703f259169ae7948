"""The audit pages' forms: the findings filter, responding to a finding, the trail filter and
the report's period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from watchkeeper.audit.checks import all_checks
from watchkeeper.audit.choices import FindingState
from watchkeeper.audit.queries import ACTIVE, ALL
from watchkeeper.audit.trail import record_types
from watchkeeper.core.choices import Channel

DATE = forms.DateInput(attrs={"type": "date"})
#: Dates outside these years are mistakes (and would overflow a day's arithmetic at the ends).
YEARS = (1900, 9000)


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise forms.ValidationError(f"Give a date between {YEARS[0]} and {YEARS[1]}.")
    return value


class PeriodForm(forms.Form):
    """``since`` and ``until`` (optional, within ``YEARS``, in order)."""

    since = forms.DateField(required=False, widget=DATE, label="From")
    until = forms.DateField(required=False, widget=DATE, label="To")

    def clean_since(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("since"))

    def clean_until(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the period is before its start.")
        return data


class FindingFilterForm(forms.Form):
    check = forms.ChoiceField(required=False)
    state = forms.ChoiceField(
        required=False,
        choices=[(ACTIVE, "Open or remediated"), *FindingState.choices, (ALL, "Any state")],
    )
    owner = forms.CharField(required=False, max_length=150, help_text='"me", "none" or a username.')
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["check"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Every check"), *((c.key, c.title) for c in all_checks())]


class RemediateForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="What was done; the next run resolves the finding, or opens it again.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AcceptForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Why the risk is accepted",
        help_text="The finding closes and this deviation is not reported again.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TrailFilterForm(PeriodForm):
    type = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                  label="Record type")  # fmt: skip
    record = forms.CharField(
        required=False, max_length=40, help_text="A number (INC0001234), or an id with a type."
    )
    actor = forms.CharField(required=False, max_length=150, help_text='A username or "system".')
    action = forms.CharField(required=False, max_length=64)
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    field_order = ("type", "record", "actor", "action", "channel", "since", "until")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["type"]
        assert isinstance(field, forms.ChoiceField)
        types = [(str(ct.pk), str(ct.name).capitalize()) for ct in record_types()]
        field.choices = [("", "Any type"), *types]


class ReportForm(PeriodForm):
    """The report's period."""
