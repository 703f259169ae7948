"""Forms of the problem pages; saving goes through ``problems.actions``.

The structured analysis is typed as lines: five whys as ``why | because``, the timeline as
``2025-03-01 14:30 | what happened``, so the page works without JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import Impact, Urgency
from watchkeeper.incidents.models import Category, Incident
from watchkeeper.problems.choices import ProblemResolution, ProblemState, ProblemTaskKind
from watchkeeper.problems.lifecycle import TRANSITIONS, WORKING_STATES
from watchkeeper.problems.permissions import ProblemPermission

INCIDENT = re.compile(r"INC\d{1,12}", re.IGNORECASE)
MARKDOWN_HINT = "Markdown: **bold**, *italic*, lists, `code`."
MAX_TEXT = 50_000
YES_NO = [("", "Any"), ("yes", "Known errors"), ("no", "Not known errors")]


def _blank(choices: Any, label: str = "—") -> list[tuple[Any, str]]:
    return [("", label), *list(choices)]


def _text(rows: int = 4, **kwargs: Any) -> forms.CharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("max_length", MAX_TEXT)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _groups() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, empty_label="—"
    )


def _workers(label: str = "Assignee") -> forms.ModelChoiceField:
    workers = User.objects.with_permission(ProblemPermission.WORK).order_by("username")
    return forms.ModelChoiceField(
        queryset=workers, required=False, empty_label="— nobody yet —", label=label
    )


class IncidentNumbersField(forms.CharField):
    """Incident numbers separated by spaces or commas; cleans to the incidents, in order."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("help_text", "Their numbers, e.g. INC0001234 INC0001240.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Incident]:
        text = super().clean(value) or ""
        words = [word for word in re.split(r"[\s,;]+", text) if word]
        bad = [word for word in words if not INCIDENT.fullmatch(word)]
        if bad:
            raise ValidationError(f"Not an incident number: {', '.join(bad[:5])}.")
        numbers = list(dict.fromkeys(word.upper() for word in words))
        found = {i.number: i for i in Incident.objects.filter(number__in=numbers)}
        missing = [number for number in numbers if number not in found]
        if missing:
            raise ValidationError(f"No incident {', '.join(missing[:5])}.")
        return [found[number] for number in numbers]


class ClassificationMixin(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        required=False,
        empty_label="—",
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.services(),
        required=False,
        label="Affected service",
        empty_label="—",
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.LOW)
    assignment_group = _groups()
    assignee = _workers()


class ProblemForm(ClassificationMixin):
    """A new problem, often from the incidents selected in the workspace."""

    field_order = ["short_description", "description", "incidents"]

    short_description = forms.CharField(max_length=160)
    description = _text(5, help_text=MARKDOWN_HINT)
    incidents = IncidentNumbersField(
        label="Incidents it causes",
        help_text="Their numbers, e.g. INC0001234 INC0001240. Their service and configuration "
        "items become the problem's unless you choose a service.",
    )


class ProblemFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(choices=_blank(ProblemState.choices, "Open"), required=False)
    known_error = forms.ChoiceField(choices=YES_NO, required=False, label="Known error")
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True),
        required=False,
        empty_label="Any",
        label="Group",
    )


class VersionedForm(forms.Form):
    """Carries the version of the problem the user saw, for optimistic concurrency."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class FieldsForm(ClassificationMixin, VersionedForm):
    field_order = ["short_description", "description"]

    short_description = forms.CharField(max_length=160)
    description = _text(4, help_text=MARKDOWN_HINT)


def _lines(text: str) -> list[list[str]]:
    """Each non-empty line split at its first ``|``."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            head, _, tail = line.partition("|")
            rows.append([head.strip(), tail.strip()])
    return rows


class AnalysisForm(VersionedForm):
    root_cause = _text(4, help_text=MARKDOWN_HINT)
    workaround = _text(4, help_text="What the service desk can do meanwhile. " + MARKDOWN_HINT)
    fix = _text(3, label="Fix", help_text="What removes the cause. " + MARKDOWN_HINT)
    fix_reference = forms.CharField(
        required=False, max_length=100, help_text="The change or vendor case delivering the fix."
    )
    five_whys = _text(
        5,
        max_length=20_000,
        label="Five whys",
        help_text="One per line: the question, then | and its answer.",
    )
    timeline = _text(
        5,
        max_length=20_000,
        help_text="One per line: date and time, then | and what happened "
        "(2025-03-01 14:30 | Disk alarm).",
    )

    def clean_five_whys(self) -> list[dict[str, str]]:
        return [
            {"why": why, "because": because} for why, because in _lines(self.data_of("five_whys"))
        ]

    def clean_timeline(self) -> list[dict[str, str]]:
        return [{"at": at, "text": text} for at, text in _lines(self.data_of("timeline"))]

    def data_of(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "")

    @staticmethod
    def as_text(steps: list[dict[str, str]], first: str, second: str) -> str:
        return "\n".join(f"{step.get(first, '')} | {step.get(second, '')}" for step in steps)


class StateForm(VersionedForm):
    state = forms.ChoiceField(choices=[], label="Move to")

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [s for s in WORKING_STATES if s in TRANSITIONS[current]]
        self.fields["state"].choices = [(s, ProblemState(s).label) for s in allowed]  # type: ignore[attr-defined]


class ResolveForm(VersionedForm):
    code = forms.ChoiceField(choices=ProblemResolution.choices, label="Resolution")
    notes = _text(3, required=True, label="Resolution notes")
    duplicate_of = forms.CharField(
        required=False, max_length=16, help_text="For a duplicate: the other problem's number."
    )
    resolve_incidents = forms.BooleanField(
        required=False,
        label="Also resolve the open linked incidents",
        help_text="With a fix applied they are solved permanently; with the risk accepted, by "
        "the workaround. Those that cannot be resolved are listed and stay open.",
    )


class ReasonForm(VersionedForm):
    reason = _text(2, required=True)


class LinkForm(forms.Form):
    incident = forms.CharField(max_length=16, label="Incident number")

    def clean_incident(self) -> Incident:
        number = self.cleaned_data["incident"].strip().upper()
        found = (
            Incident.objects.filter(number=number).first() if INCIDENT.fullmatch(number) else None
        )
        if found is None:
            raise ValidationError(f"No incident {number[:16]}.")
        return found


class LinkToProblemForm(forms.Form):
    """On the incident page: link it to an existing problem by number."""

    problem = forms.CharField(max_length=16, label="Problem number", help_text="e.g. PRB0001234")


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ProblemTaskKind.choices, initial=ProblemTaskKind.GENERAL)
    description = _text(2, help_text=MARKDOWN_HINT)
    assignment_group = _groups()
    assignee = _workers()


class TaskAssignForm(VersionedForm):
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.filter(is_active=True))
    assignee = _workers()


class TaskNotesForm(VersionedForm):
    notes = _text(2, required=True, label="What was done")


def show_errors(form: forms.Form, error: Exception) -> None:
    """An action's errors beside the fields they name, the rest at the top of the form."""
    from watchkeeper.core.errors import message_of

    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, message_of(error))
