"""Forms of the CMDB pages; saving goes through ``cmdb.actions``.

``CiForm`` holds the common fields plus one generated field ``attr_<name>`` per typed attribute
of the chosen class (``cmdb.classes``), so a server asks for its CPUs and a backup job for its
schedule. The action checks everything again and names problems ``attributes.<name>``;
``field_for_error`` puts those beside the generated field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy

from watchkeeper.accounts.forms import UsernamesField
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.choices import (
    CI_TRANSITIONS,
    CiClass,
    CiStatus,
    Criticality,
    Environment,
    RelationType,
)
from watchkeeper.cmdb.classes import Attribute, spec_of
from watchkeeper.cmdb.lookup import find_ci
from watchkeeper.cmdb.models import ConfigurationItem

ATTR_PREFIX = "attr_"
#: The fields every class has, in the form's order (the typed attributes follow them).
COMMON_FIELDS = (
    "ci_class", "name", "status", "environment", "criticality", "description", "owner",
    "owner_group", "support_group", "hostname", "ip_address", "serial_number",
    "restore_test_days",
)  # fmt: skip
LEADING_NUMBER = re.compile(r"\s*(CI\d{1,12})\b", re.IGNORECASE)


def _blank(choices: Any, label: str = "— any —") -> list[tuple[str, str]]:
    return [("", label), *list(choices)]


def _groups() -> Any:
    return SupportGroup.objects.filter(is_active=True).order_by("name")


def attribute_field(attribute: Attribute) -> forms.Field:
    """The form field of one typed attribute (the action validates it again)."""
    common: dict[str, Any] = {
        "label": attribute.label,
        "required": attribute.required,
        "help_text": attribute.help,
    }
    if attribute.kind == "integer":
        return forms.IntegerField(min_value=attribute.minimum, **common)
    if attribute.kind == "choice":
        labels = [(value, value.replace("_", " ").capitalize()) for value in attribute.choices]
        return forms.ChoiceField(choices=_blank(labels, "—"), **common)
    return forms.CharField(max_length=attribute.max_length, **common)


def field_for_error(form: forms.Form, key: str) -> str | None:
    """The form field an action's error key names (``attributes.port`` is ``attr_port``)."""
    if key.startswith("attributes."):
        key = ATTR_PREFIX + key.removeprefix("attributes.")
    return key if key in form.fields else None


class CiForm(forms.Form):
    """Create or edit an item: the common fields, then the chosen class's attributes."""

    name = forms.CharField(max_length=200)
    ci_class = forms.ChoiceField(
        choices=CiClass.choices,
        label="Class",
        help_text="Changing it shows that class's attributes.",
    )
    status = forms.ChoiceField(choices=CiStatus.choices, initial=CiStatus.IN_SERVICE)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    owner = forms.CharField(
        max_length=150,
        required=False,
        help_text="Username or e-mail of the person accountable (a service owner).",
    )
    owner_group = forms.ModelChoiceField(queryset=_groups(), required=False, empty_label="—")
    support_group = forms.ModelChoiceField(
        queryset=_groups(),
        required=False,
        empty_label="—",
        help_text="The team that fixes it; incidents about it go there.",
    )
    hostname = forms.CharField(max_length=255, required=False)
    ip_address = forms.GenericIPAddressField(required=False, label="IP address")
    serial_number = forms.CharField(max_length=100, required=False)
    restore_test_days = forms.IntegerField(
        min_value=1,
        required=False,
        label="Restore test every (days)",
        help_text="Policy: a successful restore test at least this often.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(
        self, *args: Any, instance: ConfigurationItem | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            allowed = {instance.status, *CI_TRANSITIONS[instance.status]}
            status = self.fields["status"]
            assert isinstance(status, forms.ChoiceField)
            status.choices = [(v, label) for v, label in CiStatus.choices if v in allowed]
        self.chosen_class = self._chosen_class()
        for attribute in spec_of(self.chosen_class).attributes:
            self.fields[ATTR_PREFIX + attribute.name] = attribute_field(attribute)

    @classmethod
    def for_item(cls, ci: ConfigurationItem, **kwargs: Any) -> CiForm:
        """The edit form, filled with the item as it is now (and the version it has)."""
        initial: dict[str, Any] = {name: getattr(ci, name) for name in COMMON_FIELDS}
        initial.update(
            owner=ci.owner.get_username() if ci.owner else "",
            owner_group=ci.owner_group_id,
            support_group=ci.support_group_id,
            version=ci.version,
            **{ATTR_PREFIX + name: value for name, value in (ci.attributes or {}).items()},
        )
        initial.update(kwargs.pop("initial", None) or {})
        return cls(instance=ci, initial=initial, **kwargs)

    def _chosen_class(self) -> str:
        raw = self.data.get("ci_class") if self.is_bound else None
        raw = raw or self.initial.get("ci_class") or (self.instance and self.instance.ci_class)
        return str(raw) if raw in CiClass.values else CiClass.BUSINESS_SERVICE

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in COMMON_FIELDS]

    def clean_owner(self) -> User | None:
        text = (self.cleaned_data.get("owner") or "").strip()
        if not text:
            return None
        match = User.objects.filter(Q(username__iexact=text) | Q(email__iexact=text))
        user = match.filter(is_active=True).first()
        if user is None:
            raise ValidationError(f"No active user has the username or e-mail {text!r}.")
        return user

    def values(self) -> dict[str, Any]:
        """What the action takes: the common fields and the attributes that have a value."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in COMMON_FIELDS}
        for name in ("hostname", "serial_number", "description"):
            values[name] = values[name] or ""
        values["ip_address"] = values["ip_address"] or None
        values["attributes"] = {
            name.removeprefix(ATTR_PREFIX): data[name]
            for name in self.fields
            if name.startswith(ATTR_PREFIX) and data.get(name) not in (None, "")
        }
        return values


class CiFilterForm(forms.Form):
    """The list's filters, search and sort (GET parameters, so a filtered list is a link)."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    ci_class = forms.ChoiceField(choices=_blank(CiClass.choices), required=False, label="Class")
    status = forms.ChoiceField(choices=_blank(CiStatus.choices), required=False)
    environment = forms.ChoiceField(choices=_blank(Environment.choices), required=False)
    criticality = forms.ChoiceField(choices=_blank(Criticality.choices), required=False)
    support_group = forms.ModelChoiceField(
        queryset=_groups(), required=False, empty_label="— any —"
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("name", "Name (A-Z)"),
            ("-name", "Name (Z-A)"),
            ("number", "Number"),
            ("ci_class", "Class"),
            ("status", "Status"),
            ("-criticality", "Most critical first"),
            ("-updated", "Recently updated"),
        ],
    )


class CiField(forms.CharField):
    """An item typed by number ("CI0001234", or the suggestion "CI0001234 mail-01") or by its
    exact name, with suggestions as you type (the page holds ``<datalist id="ci-options">``).
    Cleans to the item, or None when left empty and not required."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 220)
        kwargs.setdefault("help_text", "Its number (CI0001234) or its name; suggestions appear.")
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "list": "ci-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("cmdb:suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#ci-options",
                "hx-swap": "outerHTML",
            }
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, ConfigurationItem):
            return f"{value.number} {value.name}"
        return super().prepare_value(value)

    def clean(self, value: Any) -> ConfigurationItem | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        number = LEADING_NUMBER.match(text)
        if number:
            found = find_ci(number.group(1))
            if found is None:
                raise ValidationError(f"No configuration item {number.group(1).upper()}.")
            return found
        named = list(ConfigurationItem.objects.filter(name__iexact=text)[:2])
        if not named:
            raise ValidationError(f"No configuration item is named {text!r}.")
        if len(named) > 1:
            raise ValidationError(f"Several items are named {text!r}: give the number (CI…).")
        return named[0]


class RelationForm(forms.Form):
    """A new relation of the item whose page this is, to another item named by number or name."""

    type = forms.ChoiceField(choices=RelationType.choices, label="Relation")
    direction = forms.ChoiceField(
        choices=[("source", "This item … the other"), ("target", "The other … this item")],
        initial="source",
        widget=forms.RadioSelect,
        label="Reads",
    )
    other = CiField(
        label="Other item",
        help_text="Its number (CI0001234) or its name; suggestions appear as you type.",
    )

    def __init__(self, *args: Any, ci: ConfigurationItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ci is not None:
            direction = self.fields["direction"]
            assert isinstance(direction, forms.ChoiceField)
            direction.choices = [
                ("source", f"{ci.name} … the other item (e.g. {ci.name} runs on the other)"),
                ("target", f"The other item … {ci.name} (e.g. the other runs on {ci.name})"),
            ]


class SubscribersForm(forms.Form):
    """The people who use a service: those an impact analysis names as affected."""

    subscribers = UsernamesField(
        most=5_000,
        max_length=100_000,
        label="Users of this service",
        help_text="Usernames, separated by commas. Empty clears the list.",
    )
