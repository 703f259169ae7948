"""The survey's answer form (score and comment) and the filters of the staff's survey list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from watchkeeper.reporting.surveys import MAX_COMMENT, SCORES

#: The longest period the list covers at once (about ten years).
MAX_PERIOD_DAYS = 3_660
DEFAULT_PERIOD_DAYS = 30


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How satisfied are you with how it was handled?",
        choices=[(score, f"{score} - {label}") for score, label in SCORES.items()],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a score from 1 to 5."},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What went well, or what could we do better? (plain text)",
    )


class SurveyFilterForm(forms.Form):
    """Answers given from ``start`` to ``end`` (both days included), of one score if chosen."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    score = forms.TypedChoiceField(
        label="Score",
        choices=[("", "Any score"), *((s, f"{s} - {label}") for s, label in SCORES.items())],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        today = timezone.localdate()
        defaults = {
            "start": (today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)).isoformat(),
            "end": today.isoformat(),
        }
        given = {key: value for key, value in (data or {}).items() if value not in ("", None)}
        super().__init__({**defaults, **given}, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end must not be before the start.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", f"Choose at most {MAX_PERIOD_DAYS} days.")
        return cleaned
