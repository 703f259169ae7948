"""Forms of the catalog editor (``requests.views_catalog``); saving goes through
``requests.catalog_admin``.

An item's page has one form for its fields and one formset per list — questions, approval
levels, fulfilment steps. Each row has *Order* (rows are sorted by it) and *Remove*, and a few
empty rows follow to add more, so the page works without JavaScript. A formset's ``specs()`` is
the list the action takes, in the order shown; ``show_errors`` puts the action's errors
(``variables.2.choices``) beside the field of the row they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.requests.catalog_admin import MAX_LEVELS, MAX_STEPS, MAX_VARIABLES
from watchkeeper.requests.choices import ApprovalRule, ApproverKind, VariableKind
from watchkeeper.requests.models import CatalogCategory, CatalogItem
from watchkeeper.sla.models import Calendar

ITEM_FORM_FIELDS = (
    "category", "name", "summary", "description", "audience_roles", "audience_groups",
    "fulfilment_group", "cost", "position", "is_active", "owner", "delivery_hours",
    "delivery_calendar",
)  # fmt: skip
EMPTY_ROWS = 2


def _groups() -> Any:
    return SupportGroup.objects.order_by("name")


class UserField(forms.CharField):
    """A person by username or e-mail address; cleans to the user, or None when left empty."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.get_username() if isinstance(value, User) else super().prepare_value(value)

    def clean(self, value: Any) -> User | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        found = User.objects.filter(Q(username__iexact=text) | Q(email__iexact=text)).first()
        if found is None:
            raise ValidationError(f"No user has the username or e-mail {text!r}.")
        return found


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    position = forms.IntegerField(min_value=0, initial=0, help_text="Lower comes first.")
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Inactive: hidden from the portal."
    )

    @classmethod
    def for_category(cls, category: CatalogCategory, **kwargs: Any) -> CategoryForm:
        initial = {name: getattr(category, name) for name in cls.base_fields}
        return cls(initial=initial, **kwargs)


class ItemForm(forms.Form):
    """The item's own fields (its lists have their formsets)."""

    category = forms.ModelChoiceField(queryset=CatalogCategory.objects.all(), empty_label="—")
    name = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=300, help_text="One line, shown in the catalog.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="Markdown; shown above the order form.",
    )
    audience_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Who may order it: these roles",
        help_text="With the groups below; neither: everyone.",
    )
    audience_groups = forms.ModelMultipleChoiceField(
        queryset=_groups(), required=False, label="…and the members of these groups"
    )
    fulfilment_group = forms.ModelChoiceField(
        queryset=_groups(), required=False, empty_label="—", help_text="Who delivers it."
    )
    cost = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, help_text="Per unit."
    )
    position = forms.IntegerField(min_value=0, initial=0, help_text="Lower comes first.")
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Untick to retire it: nobody can order it any more; its requests stay.",
    )
    owner = UserField(help_text="Username; approves when nobody else can.")
    delivery_hours = forms.IntegerField(
        min_value=1,
        required=False,
        label="Delivered within (working hours)",
        help_text="The SLA, counted from approval; empty: none.",
    )
    delivery_calendar = forms.ModelChoiceField(
        queryset=Calendar.objects.all(),
        required=False,
        empty_label="— around the clock —",
        help_text="The hours the delivery clock runs in.",
    )

    @classmethod
    def for_item(cls, item: CatalogItem, **kwargs: Any) -> ItemForm:
        initial = {name: getattr(item, name) for name in ITEM_FORM_FIELDS if name != "owner"}
        initial["audience_groups"] = list(item.audience_groups.all())
        initial["owner"] = item.owner.get_username() if item.owner else ""
        return cls(initial=initial, **kwargs)

    def values(self) -> tuple[dict[str, Any], list[SupportGroup]]:
        """The item's fields as the action takes them, and its audience groups."""
        values = {name: self.cleaned_data.get(name) for name in ITEM_FORM_FIELDS}
        values["description"] = values["description"] or ""
        return values, list(values.pop("audience_groups") or [])


class ListFormSet(forms.BaseFormSet):
    """The rows of one of an item's lists, sorted by their *Order*, without those removed."""

    noun = "row"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: list[str] = []  # the action's errors that name no row's field

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["ORDER"].help_text = "Rows are sorted by it."
        form.fields["DELETE"].label = f"Remove this {self.noun}"

    def rows(self) -> list[forms.Form]:
        return list(self.ordered_forms)

    def specs(self) -> list[dict[str, Any]]:
        return [form.spec() for form in self.rows()]  # type: ignore[attr-defined]

    def show_errors(self, error: ValidationError, key: str) -> None:
        """Each of the action's errors beside the field of the row it names (``<key>.<n>.<field>``);
        the others above the list."""
        rows = self.rows()
        for name, texts in error.message_dict.items():
            index, _, field = name.removeprefix(f"{key}.").partition(".")
            if name.startswith(f"{key}.") and index.isdigit() and int(index) < len(rows):
                row = rows[int(index)]
                row.add_error(field if field in row.fields else None, texts)
            else:
                self.problems.extend(texts)


def _formset(form: type[forms.Form], base: type[ListFormSet], most: int) -> Any:
    return forms.formset_factory(
        form, formset=base, extra=EMPTY_ROWS, can_order=True, can_delete=True, max_num=most,
        validate_max=True,
    )  # fmt: skip


class VariableForm(forms.Form):
    """One question of the order form."""

    label = forms.CharField(max_length=200, help_text="The question, as people read it.")
    name = forms.CharField(
        max_length=50, help_text="The answer's key: lower-case letters, digits and _."
    )
    kind = forms.ChoiceField(choices=VariableKind.choices, initial=VariableKind.TEXT)
    required = forms.BooleanField(required=False)
    help_text = forms.CharField(max_length=500, required=False, label="Help text")
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Options",
        help_text="Choice questions: one option per line.",
    )
    minimum = forms.DecimalField(required=False, help_text="Numbers: the least; text: length.")
    maximum = forms.DecimalField(required=False, help_text="Numbers: the most; text: length.")

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        options = [line.strip() for line in data.get("choices", "").splitlines() if line.strip()]
        names = ("name", "label", "kind", "required", "help_text", "minimum", "maximum")
        return {**{name: data.get(name) for name in names}, "choices": options}


class VariableFormSet(ListFormSet):
    noun = "question"

    @staticmethod
    def initial_of(item: CatalogItem) -> list[dict[str, Any]]:
        fields = ("name", "label", "kind", "required", "help_text", "minimum", "maximum")
        return [
            {**{name: getattr(v, name) for name in fields}, "choices": "\n".join(v.choices)}
            for v in item.variables.all()
        ]


class ApprovalForm(forms.Form):
    """One level of the approval policy."""

    approver_kind = forms.ChoiceField(
        choices=[("", "—"), *ApproverKind.choices], label="Who approves"
    )
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="—",
        help_text="For a group: any or all of its members.",
    )
    user = UserField(label="Person", help_text="For one person: the username.")
    rule = forms.ChoiceField(choices=ApprovalRule.choices, initial=ApprovalRule.ANY)

    def spec(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name) for name in ("approver_kind", "group", "user", "rule")
        }


class ApprovalFormSet(ListFormSet):
    noun = "level"

    @staticmethod
    def initial_of(item: CatalogItem) -> list[dict[str, Any]]:
        steps = item.approval_steps.select_related("group", "user")
        return [
            {"approver_kind": s.approver_kind, "group": s.group, "user": s.user, "rule": s.rule}
            for s in steps
        ]


class FulfilmentForm(forms.Form):
    """One step of the fulfilment plan; its webhook secret is never shown again."""

    step_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    stage = forms.IntegerField(
        min_value=1, initial=1, help_text="Steps of one stage run at the same time."
    )
    title = forms.CharField(max_length=200)
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="— the item's group —",
    )
    webhook_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Webhook URL",
        help_text="Done by a call: the order is POSTed here; a 2xx answer completes the task.",
    )
    webhook_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        max_length=200,
        required=False,
        label="Webhook secret",
        help_text="Signs each call. Left empty: the current one is kept.",
    )
    remove_secret = forms.BooleanField(required=False, label="Remove the webhook secret")

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        secret = "" if data.get("remove_secret") else (data.get("webhook_secret") or None)
        names = ("stage", "title", "instructions", "group", "webhook_url")
        return {
            "id": data.get("step_id"),
            **{name: data.get(name) for name in names},
            "webhook_secret": secret,
        }


class FulfilmentFormSet(ListFormSet):
    noun = "step"

    @staticmethod
    def initial_of(item: CatalogItem) -> list[dict[str, Any]]:
        return [
            {
                "step_id": s.pk, "stage": s.stage, "title": s.title,
                "instructions": s.instructions, "group": s.group,
                "webhook_url": s.webhook_url, "has_secret": bool(s.webhook_secret),
            }
            for s in item.fulfilment_steps.select_related("group")
        ]  # fmt: skip


VariableRows = _formset(VariableForm, VariableFormSet, MAX_VARIABLES)
ApprovalRows = _formset(ApprovalForm, ApprovalFormSet, MAX_LEVELS)
FulfilmentRows = _formset(FulfilmentForm, FulfilmentFormSet, MAX_STEPS)
