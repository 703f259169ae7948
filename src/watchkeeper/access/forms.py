"""Forms of the register's pages: filtering the register, granting a role, revoking a grant.

The forms only take what people type; ``access.actions`` decides, and its errors (named
``role``, ``holder``, ``reason``, ``expires_on``) come back beside these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from watchkeeper.access.choices import EntitlementState
from watchkeeper.access.models import AccessRole
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.models import ConfigurationItem

ALL = "all"
STATES = [*EntitlementState.choices, (ALL, "All")]
#: An action's error key and the form field it belongs beside.
FIELD_OF = {"expires_on": "until"}


class RegisterFilterForm(forms.Form):
    """The register's filters; the state is *active* unless another is chosen."""

    holder = forms.CharField(required=False, max_length=150, help_text="A username")
    role = forms.ModelChoiceField(queryset=AccessRole.objects.none(), required=False)
    system = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, to_field_name="number"
    )
    state = forms.ChoiceField(choices=STATES, required=False)

    def __init__(self, *args: Any, roles: QuerySet[AccessRole], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ModelChoiceField)
        role_field.queryset = roles.select_related("system")
        role_field.empty_label = "— any —"
        system_field = self.fields["system"]
        assert isinstance(system_field, forms.ModelChoiceField)
        system_field.queryset = ConfigurationItem.objects.filter(
            access_roles__in=roles
        ).distinct().order_by("name")  # fmt: skip
        system_field.empty_label = "— any —"

    def value(self, name: str) -> Any:
        """A valid filter's value; an invalid one filters nothing (its error is shown)."""
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None

    @property
    def chosen_state(self) -> str:
        return self.value("state") or EntitlementState.ACTIVE


class GrantForm(forms.Form):
    """Grant one of the roles the user works (``access.actions.may_work``) to someone."""

    role = forms.ModelChoiceField(queryset=AccessRole.objects.none())
    holder = forms.CharField(max_length=150, help_text="The username of the person")
    reason = forms.CharField(
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A request number, a ticket, a decision.",
    )
    until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day it is held; empty: no end (unless the role has a longest).",
    )

    def __init__(self, *args: Any, roles: QuerySet[AccessRole], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ModelChoiceField)
        role_field.queryset = roles.select_related("system")

    def clean_holder(self) -> User:
        username = self.cleaned_data["holder"].strip()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(f"No user named {username!r}.")
        return user


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it ends (a ticket, a review, a decision).",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def show_errors(form: forms.Form, error: ValidationError) -> None:
    """An action's errors beside the fields they name, the others at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, texts in error.message_dict.items():
        name = FIELD_OF.get(key, key)
        form.add_error(name if name in form.fields else None, texts)
