"""The portal's order form, built from a catalog item's variables.

The fields take what the person types or picks, as text; ``requests.variables`` checks every
answer (the same rules as the API), and its errors come back beside their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from watchkeeper.requests.actions import MAX_QUANTITY
from watchkeeper.requests.choices import VariableKind as K
from watchkeeper.requests.models import CatalogVariable

#: Form fields never named like a variable (variables are lower-case words).
QUANTITY, REQUESTED_FOR = "quantity__", "requested_for__"


def _field(variable: CatalogVariable) -> forms.Field:
    label = variable.label + ("" if variable.required else " (optional)")
    common: dict[str, Any] = {"label": label, "help_text": variable.help_text, "required": False}
    if variable.kind == K.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
    if variable.kind == K.NUMBER:
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if variable.kind == K.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if variable.kind == K.CHOICE:
        options = [("", "—"), *[(o, o) for o in variable.choices]]
        return forms.ChoiceField(choices=options, **common)
    if variable.kind == K.MULTI_CHOICE:
        options = [(o, o) for o in variable.choices]
        return forms.MultipleChoiceField(
            choices=options, widget=forms.CheckboxSelectMultiple, **common
        )
    if variable.kind == K.CHECKBOX:
        return forms.BooleanField(**common)
    if variable.kind == K.ATTACHMENT:
        limit = f"At most {settings.ATTACHMENT_MAX_MB} MB."
        common["help_text"] = f"{variable.help_text} {limit}".strip()
        return forms.FileField(**common)
    hints: dict[str, str] = {
        K.USER: "A username", K.GROUP: "A group's name", K.CONFIGURATION_ITEM: "CI number",
    }  # fmt: skip
    return forms.CharField(max_length=1_000, **common, widget=_hinted(hints.get(variable.kind)))


def _hinted(hint: str | None) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": hint} if hint else {})


class OrderForm(forms.Form):
    """The item's questions, how many, and (for those who may) for whom."""

    def __init__(
        self, variables: list[CatalogVariable], *args: Any, for_others: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.variables = variables
        for variable in variables:
            self.fields[variable.name] = _field(variable)
        self.fields[QUANTITY] = forms.IntegerField(
            label="How many", min_value=1, max_value=MAX_QUANTITY, initial=1
        )
        if for_others:
            self.fields[REQUESTED_FOR] = forms.CharField(
                label="For (optional)",
                required=False,
                max_length=150,
                help_text="The username of the person it is for; empty: yourself.",
            )

    def answers(self) -> dict[str, Any]:
        """The answers as typed (``requests.variables`` checks them)."""
        return {v.name: self.cleaned_data.get(v.name) for v in self.variables}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """An order's ``items.1.answers.<name>`` (and other) errors, beside their fields."""
        for key, messages in errors.items():
            name = key.rsplit(".", 1)[-1] if ".answers." in key else None
            if key == "requested_for":
                name = REQUESTED_FOR
            elif key.endswith(".quantity"):
                name = QUANTITY
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
