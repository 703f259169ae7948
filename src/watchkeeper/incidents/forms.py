"""Forms of the portal and the agent workspace; saving goes through ``incidents.actions``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.urls import reverse

from watchkeeper.accounts.forms import UsernamesField, split_list
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.forms import CiField
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.choices import (
    HoldReason,
    Impact,
    IncidentState,
    Priority,
    ResolutionCode,
    Urgency,
)
from watchkeeper.incidents.models import Category, Incident, SavedFilter
from watchkeeper.incidents.permissions import IncidentPermission

NUMBER = re.compile(r"INC\d{1,12}")
TAG = re.compile(r"[-\w]{1,50}")
MARKDOWN_HINT = "Markdown: **bold**, *italic*, lists, `code`."


def _blank(choices: Any, label: str = "—") -> list[tuple[Any, str]]:
    return [("", label), *list(choices)]


class SubcategoryChoices(ModelChoiceIterator):
    """Subcategories grouped under their category (an ``<optgroup>`` each), so one list works
    without JavaScript."""

    def __iter__(self) -> Iterator[Any]:
        yield ("", self.field.empty_label or "—")
        groups: dict[str, list[Any]] = {}
        for sub in self.queryset.select_related("parent").order_by("parent__name", "name"):
            groups.setdefault(sub.parent.name, []).append(self.choice(sub))
        yield from groups.items()


class SubcategoryField(forms.ModelChoiceField):
    iterator = SubcategoryChoices

    def __init__(self, **kwargs: Any) -> None:
        queryset = Category.objects.filter(parent__isnull=False, is_active=True)
        super().__init__(queryset=queryset, empty_label="—", **kwargs)

    def label_from_instance(self, obj: Category) -> str:
        return obj.name


class ClassificationMixin(forms.Form):
    """Category, subcategory and affected service: the choosers of every incident form."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        required=False,
        empty_label="— I don't know —",
    )
    subcategory = SubcategoryField(required=False)
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.services(),
        required=False,
        label="Affected service",
        empty_label="— I don't know —",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        category, subcategory = data.get("category"), data.get("subcategory")
        if subcategory is not None and category is None:
            data["category"] = subcategory.parent
        return data


class ReportForm(ClassificationMixin):
    """The portal's short form: what is broken, where, and how urgent."""

    field_order = ["short_description", "description", "category", "subcategory", "service"]

    short_description = forms.CharField(
        max_length=160, label="What is not working?", help_text="One line, e.g. 'VPN drops'."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="Details",
        help_text=f"What happened, since when, error messages. {MARKDOWN_HINT}",
    )
    urgency = forms.TypedChoiceField(
        choices=Urgency.choices,
        coerce=int,
        initial=Urgency.LOW,
        help_text="High: you cannot work at all. Low: it is a nuisance.",
    )

    def action_fields(self) -> dict[str, Any]:
        names = ("description", "category", "subcategory", "service", "urgency")
        return {name: self.cleaned_data[name] for name in names}


def _workers() -> Any:
    return User.objects.filter(is_active=True, support_groups__isnull=False).distinct()


class AssigneeChoices(ModelChoiceIterator):
    """Active members of each active support group, grouped by the group; only the members of
    ``field.group`` who may work incidents when the field is limited to one group."""

    def __iter__(self) -> Iterator[Any]:
        yield ("", self.field.empty_label or "—")
        group = getattr(self.field, "group", None)
        if group is not None:
            members = group.members.filter(is_active=True).order_by("first_name", "username")
            for user in members:
                if user.has_perm(IncidentPermission.WORK):
                    yield self.choice(user)
            return
        active = SupportGroup.objects.filter(is_active=True).prefetch_related("members")
        for group in active:
            members = [self.choice(user) for user in group.members.all() if user.is_active]
            if members:
                yield (group.name, members)


class AssigneeField(forms.ModelChoiceField):
    iterator = AssigneeChoices
    #: When set, the choices shown are this group's members (validation still takes any worker).
    group: SupportGroup | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "— nobody yet —")
        super().__init__(queryset=_workers(), **kwargs)


class AgentIncidentForm(ReportForm):
    """An agent records an incident for a caller who phoned or walked in."""

    field_order = ["caller", "channel", *ReportForm.field_order]

    caller = forms.CharField(max_length=150, help_text="The caller's username or e-mail address.")
    channel = forms.ChoiceField(
        choices=[
            (Channel.PHONE, Channel.PHONE.label),
            (Channel.WALK_IN, Channel.WALK_IN.label),
            (Channel.EMAIL, Channel.EMAIL.label),
        ],
        initial=Channel.PHONE,
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    assignment_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True),
        required=False,
        help_text="Leave empty for the category's default group.",
    )
    assignee = AssigneeField(required=False)

    def clean_caller(self) -> User:
        text = self.cleaned_data["caller"].strip()
        match = User.objects.filter(Q(username__iexact=text) | Q(email__iexact=text))
        user = match.filter(is_active=True).first()
        if user is None:
            raise ValidationError(f"No active user has the username or e-mail {text!r}.")
        return user

    def action_fields(self) -> dict[str, Any]:
        fields = super().action_fields()
        for name in ("impact", "assignment_group", "assignee"):
            if self.cleaned_data.get(name) is not None:
                fields[name] = self.cleaned_data[name]
        return fields


class VersionedForm(forms.Form):
    """Carries the version of the incident the user saw, for optimistic concurrency."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class FieldsForm(ClassificationMixin, VersionedForm):
    """Inline editing of the record's fields in the workspace."""

    field_order = [
        "short_description", "description", "category", "subcategory", "service",
        "configuration_item",
    ]  # fmt: skip

    short_description = forms.CharField(max_length=160)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text=MARKDOWN_HINT
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int)

    configuration_item = CiField(
        required=False,
        label="Configuration item",
        help_text="The server, application or device at fault: its number (CI0001234) or name.",
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = ("short_description", "description", "category", "subcategory", "service")
        return {name: data[name] for name in (*names, "configuration_item", "impact", "urgency")}


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Comment",
        max_length=20_000,
        help_text=MARKDOWN_HINT,
    )


class ActivityForm(forms.Form):
    """A comment or a work note, from the workspace."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Message",
        max_length=20_000,
        help_text=MARKDOWN_HINT,
    )
    kind = forms.ChoiceField(
        choices=[
            ("work_note", "Work note (internal: only staff see it)"),
            ("comment", "Comment (the caller sees it and gets an e-mail)"),
        ],
        widget=forms.RadioSelect,
        initial="work_note",
    )


class AttachmentForm(forms.Form):
    file = forms.FileField()


class StaffAttachmentForm(AttachmentForm):
    internal = forms.BooleanField(
        required=False, label="Internal (only staff can see it)", initial=True
    )


class ReasonForm(VersionedForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2_000)


class AssignForm(VersionedForm):
    """The assignee list shows the chosen group's members; with JavaScript, choosing another
    group reloads it (htmx). Any worker still validates here: ``check_assignment`` refuses a
    mismatch with its message beside the field, so it also works without JavaScript."""

    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True),
        label="Assignment group",
        empty_label="—",
    )
    assignee = AssigneeField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].widget.attrs.update(
            {
                "hx-get": reverse("incidents:assignees"),
                "hx-trigger": "change",
                "hx-target": "#id_assignee",
                "hx-select": "#id_assignee",
                "hx-swap": "outerHTML",
            }
        )
        assignee = self.fields["assignee"]
        assert isinstance(assignee, AssigneeField)
        assignee.group = chosen_group(
            self.data.get("group") if self.is_bound else self.initial.get("group")
        )


def chosen_group(value: Any) -> SupportGroup | None:
    """The active group a form field's raw value names, if it names one."""
    text = str(getattr(value, "pk", value) or "")
    if not text.isdigit() or len(text) > 12:
        return None
    return SupportGroup.objects.filter(pk=int(text), is_active=True).first()


class PriorityForm(VersionedForm):
    """An authorised person sets a priority other than the matrix's, saying why."""

    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    reason = forms.CharField(max_length=500, label="Why this priority")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "override_%s")
        super().__init__(*args, **kwargs)


def incident_numbered(text: str) -> Incident:
    number = (text or "").strip().upper()
    found = Incident.objects.filter(number=number).first() if NUMBER.fullmatch(number) else None
    if found is None:
        raise ValidationError(f"No incident {number[:16] or text[:16]!r}.")
    return found


class ParentForm(VersionedForm):
    """Set the parent by its number; empty clears it."""

    parent = forms.CharField(
        max_length=16, required=False, label="Parent incident", help_text="e.g. INC0001234"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "parent_%s")
        super().__init__(*args, **kwargs)

    def clean_parent(self) -> Incident | None:
        text = self.cleaned_data["parent"].strip()
        return incident_numbered(text) if text else None


class RelatedForm(forms.Form):
    related = forms.CharField(max_length=16, label="Related incident", help_text="e.g. INC0001234")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "related_%s")
        super().__init__(*args, **kwargs)

    def clean_related(self) -> Incident:
        return incident_numbered(self.cleaned_data["related"])


class WatchListForm(forms.Form):
    watchers = UsernamesField(label="Watch list")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "watch_%s")
        super().__init__(*args, **kwargs)


class TagsForm(forms.Form):
    tags = forms.CharField(
        max_length=3_000,
        required=False,
        help_text="Separated by commas: letters, digits, - and _. Empty clears them.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "tags_%s")
        super().__init__(*args, **kwargs)

    def clean_tags(self) -> list[str]:
        names = split_list(self.cleaned_data["tags"])
        bad = [name for name in names if not TAG.fullmatch(name)]
        if bad:
            raise ValidationError(
                f"Not a tag: {', '.join(bad)[:200]} (letters, digits, - and _, at most 50)."
            )
        if len(names) > 50:
            raise ValidationError("At most 50 tags.")
        return names


class HoldForm(VersionedForm):
    reason = forms.ChoiceField(choices=HoldReason.choices, label="Hold reason")


class ResolveForm(VersionedForm):
    code = forms.ChoiceField(choices=ResolutionCode.choices, label="Resolution code")
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Resolution notes", max_length=20_000
    )


class DeclareMajorForm(VersionedForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2_000)
    manager = forms.ModelChoiceField(queryset=User.objects.none(), label="Major incident manager")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = User.objects.with_permission(IncidentPermission.DECLARE_MAJOR)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]


class MajorUpdateForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Update")
    recipients = forms.CharField(
        required=False,
        help_text="E-mail addresses, separated by commas; the watch list gets it too.",
    )

    def addresses(self) -> list[str]:
        text = self.cleaned_data.get("recipients") or ""
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class ReviewForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    timeline = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    lessons_learned = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    follow_up_actions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    complete = forms.BooleanField(required=False, label="Mark the review complete")


SORTS = {
    "number": "number",
    "priority": "priority",
    "state": "state",
    "updated": "updated_at",
    "created": "created_at",
    "short_description": "short_description",
}


class QueueFilterForm(forms.Form):
    """The queue's filters; every field optional, bad values simply ignored by ``is_valid``."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    state = forms.ChoiceField(choices=_blank(IncidentState.choices, "Any state"), required=False)
    priority = forms.TypedChoiceField(
        choices=_blank(Priority.choices, "Any priority"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.all(), required=False, empty_label="Any group"
    )
    assignee = forms.ModelChoiceField(queryset=_workers(), required=False, empty_label="Anyone")
    sort = forms.ChoiceField(
        choices=[
            ("", "Queue default"),
            ("-updated", "Recently updated"),
            ("priority", "Priority"),
            ("-created", "Newest"),
            ("created", "Oldest"),
            ("number", "Number"),
            ("state", "State"),
        ],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _workers()  # type: ignore[attr-defined]


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=80, label="Save these filters as")
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if SavedFilter.objects.filter(user=self.user, name=name).exists():
            raise ValidationError(f"You already have a filter named {name!r}.")
        return name


BULK_STATES = [
    (IncidentState.IN_PROGRESS, "In progress"),
    (IncidentState.ON_HOLD, "On hold"),
    (IncidentState.RESOLVED, "Resolved"),
    (IncidentState.CLOSED, "Closed"),
    (IncidentState.CANCELED, "Canceled"),
]


class BulkForm(forms.Form):
    """One action on the selected rows of a queue."""

    action = forms.ChoiceField(
        choices=[("assign", "Assign"), ("state", "Change state"), ("comment", "Add comment")]
    )
    numbers = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, empty_label="—"
    )
    assignee = AssigneeField(required=False)
    state = forms.ChoiceField(choices=_blank(BULK_STATES), required=False, label="New state")
    hold_reason = forms.ChoiceField(choices=_blank(HoldReason.choices), required=False)
    resolution_code = forms.ChoiceField(choices=_blank(ResolutionCode.choices), required=False)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Comment, resolution notes or reason",
        max_length=20_000,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign" and data.get("group") is None:
            self.add_error("group", "Choose the group to assign to.")
        if action == "state" and not data.get("state"):
            self.add_error("state", "Choose the new state.")
        if action == "comment" and not (data.get("text") or "").strip():
            self.add_error("text", "Write the comment.")
        return data
