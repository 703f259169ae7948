"""Writes to the service catalog by those who keep it (``requests.manage_catalog``): categories,
items, and each item's order form (its questions), approval levels and fulfilment plan.

Every write checks the permission, validates with the models' own rules (``full_clean``) before
anything is saved, names each problem by its field — a row of a list by its index in the list
sent, counted from 0: ``variables.2.choices`` — and saves in one transaction, so nothing is ever
half-written. A list (questions, levels, steps) is replaced whole: what is sent is the new list.

Each change is in the category's or the item's tamper-evident history (a question, level or step
in the item's): who, through which channel, what changed from what to what. A change applies to
what is ordered afterwards; requests already ordered keep their answers (stored as JSON,
whatever becomes of the questions), ask only the approval levels they have not reached yet and
open only the stages they have not begun."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, require_permission
from watchkeeper.core.history import record_change
from watchkeeper.requests.choices import ApprovalRule, ApproverKind, VariableKind
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)
from watchkeeper.requests.permissions import RequestPermission

Spec = Mapping[str, Any]
Changes = dict[str, tuple[Any, Any]]
CATEGORY_FIELDS = ("name", "description", "position", "is_active")
ITEM_FIELDS = (
    "category", "name", "summary", "description", "audience_roles", "fulfilment_group", "cost",
    "position", "is_active", "owner", "delivery_hours", "delivery_calendar",
)  # fmt: skip
#: Each list field with the value a row has when it is not sent.
VARIABLE_DEFAULTS: dict[str, Any] = {
    "name": "",
    "label": "",
    "kind": VariableKind.TEXT,
    "required": False,
    "help_text": "",
    "choices": [],
    "minimum": None,
    "maximum": None,
}
APPROVAL_DEFAULTS: dict[str, Any] = {
    "approver_kind": "",
    "group": None,
    "user": None,
    "rule": ApprovalRule.ANY,
}
STEP_DEFAULTS: dict[str, Any] = {
    "id": None,
    "stage": 1,
    "title": "",
    "instructions": "",
    "group": None,
    "webhook_url": "",
    "webhook_secret": None,
}
MAX_VARIABLES = 50
MAX_LEVELS = 10
MAX_STEPS = 50


def _recorded(acting_user: Any, channel: str, action: str, obj: Any, changes: Changes) -> None:
    """The change in ``obj``'s history; inside the transaction that made it."""
    record_change(obj, action=action, actor=acting_user, channel=channel, changes=changes)


def _prefixed(error: ValidationError, prefix: str) -> dict[str, list[str]]:
    """An error of one row, keyed ``<prefix>.<field>`` (``<prefix>`` for the row as a whole)."""
    if not hasattr(error, "error_dict"):
        return {prefix: list(error.messages)}
    return {
        prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}": list(texts)
        for field, texts in error.message_dict.items()
    }


def _set_fields(obj: models.Model, values: Mapping[str, Any], allowed: Sequence[str]) -> Changes:
    """Check the names, set the values and validate; the changes (every value for a new row).
    On a problem ``obj`` is left as it was."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    creating = obj.pk is None
    old = {} if creating else {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError:
        for name, value in old.items():
            setattr(obj, name, value)
        raise
    return {
        name: (old.get(name), value)
        for name, value in values.items()
        if creating or old[name] != value
    }


# --- categories ------------------------------------------------------------------------------


def save_category(
    category: CatalogCategory | None,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    **values: Any,
) -> CatalogCategory:
    """Create (``category`` None) or change a category."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    creating = category is None
    category = category or CatalogCategory()
    changes = _set_fields(category, values, CATEGORY_FIELDS)
    if changes or creating:
        with transaction.atomic():
            category.save()
            _recorded(acting_user, channel, "created" if creating else "changed", category, changes)
    return category


def delete_category(
    category: CatalogCategory, *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    """Only an empty category (else move its items, or deactivate it)."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    with transaction.atomic():
        held = category.items.count()
        if held:
            raise Conflict(
                f"{category} holds {held} item(s): move them to another category first, or "
                "deactivate the category."
            )
        _recorded(acting_user, channel, "deleted", category, {"name": (category.name, None)})
        category.delete()


# --- items -----------------------------------------------------------------------------------


def _check_item(item: CatalogItem) -> None:
    """What the model does not say: a cost is not negative, a delivery takes at least an hour,
    the owner (who approves when nobody else can) is an active user."""
    errors: dict[str, str] = {}
    if item.cost is not None and item.cost < Decimal(0):
        errors["cost"] = "A cost is zero or more."
    if item.delivery_hours is not None and item.delivery_hours < 1:
        errors["delivery_hours"] = "At least 1 working hour (empty: no delivery target)."
    if item.owner is not None and not item.owner.is_active:
        errors["owner"] = f"{item.owner.get_username()} is not an active user."
    if errors:
        raise ValidationError(errors)


def save_item(
    item: CatalogItem | None,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    audience_groups: Iterable[Any] | None = None,
    **values: Any,
) -> CatalogItem:
    """Create (``item`` None) or change an item: its fields (``ITEM_FIELDS``) and, if given, the
    groups whose members may order it. Retiring an item is ``is_active=False``."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    creating = item is None
    item = item or CatalogItem()
    changes = _set_fields(item, values, ITEM_FIELDS)
    _check_item(item)
    with transaction.atomic():
        if changes or creating:
            item.save()
        if audience_groups is not None:
            groups = list(audience_groups)
            before = sorted(group.name for group in item.audience_groups.all())
            after = sorted(group.name for group in groups)
            if before != after:
                item.audience_groups.set(groups)
                changes["audience_groups"] = (before, after)
        if changes or creating:
            _recorded(acting_user, channel, "created" if creating else "changed", item, changes)
    return item


def delete_item(item: CatalogItem, *, acting_user: Any, channel: str = Channel.WEB) -> None:
    """Only an item never ordered and not tied to access management; retire the others
    (``is_active=False``): their requests keep pointing at them."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    with transaction.atomic():
        ordered = item.requested.count()
        if ordered:
            raise Conflict(
                f"{item} was ordered {ordered} time(s) and its requests refer to it: retire it "
                "instead (make it inactive)."
            )
        for tie in ("access_role", "lifecycle"):  # reverse one-to-ones of the access app
            if getattr(item, tie, None) is not None:
                raise Conflict(
                    f"Access management uses {item} ({tie.replace('_', ' ')}): retire it "
                    "instead (make it inactive)."
                )
        _recorded(acting_user, channel, "deleted", item, {"name": (item.name, None)})
        item.delete()


# --- the lists of an item --------------------------------------------------------------------


def _row_values(spec: Spec, defaults: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The row's values: what is sent over the defaults; an unknown field is an error."""
    unknown = sorted(set(spec) - set(defaults))
    if unknown:
        raise ValidationError({f"{prefix}.{name}": "Not a field of this list." for name in unknown})
    return {**defaults, **spec}


def _refuse_problems(
    rows: Sequence[Any], errors: dict[str, list[str]], key: str, most: int
) -> None:
    """Raise every problem found in a list at once (and one for a list too long)."""
    if len(rows) > most:
        errors.setdefault(key, []).append(f"At most {most}.")
    if errors:
        raise ValidationError(errors)


def _validate_row(row: models.Model, prefix: str, errors: dict[str, list[str]]) -> None:
    """Collect the row's problems (constraints are checked by the list as a whole)."""
    try:
        row.full_clean(validate_constraints=False)
    except ValidationError as problem:
        for key, texts in _prefixed(problem, prefix).items():
            errors.setdefault(key, []).extend(texts)


def replace_variables(
    item: CatalogItem, specs: Sequence[Spec], *, acting_user: Any, channel: str = Channel.WEB
) -> list[CatalogVariable]:
    """The item's questions become ``specs``, in that order. A question keeps its row when its
    name stays; a question left out is removed (answers already given stay in their requests)."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    current = {variable.name: variable for variable in item.variables.all()}
    before = [_variable_text(variable) for variable in current.values()]
    errors: dict[str, list[str]] = {}
    rows: list[CatalogVariable] = []
    for index, spec in enumerate(specs):
        prefix = f"variables.{index}"
        values = _row_values(spec, VARIABLE_DEFAULTS, prefix)
        row = current.get(values["name"]) or CatalogVariable(item=item)
        if any(values["name"] == other.name for other in rows):
            errors.setdefault(f"{prefix}.name", []).append("Each question's name once.")
        for name, value in values.items():
            setattr(row, name, value)
        row.position = index
        _validate_row(row, prefix, errors)
        rows.append(row)
    _refuse_problems(rows, errors, "variables", MAX_VARIABLES)
    with transaction.atomic():
        kept = {row.name for row in rows}
        item.variables.exclude(name__in=kept).delete()
        for row in rows:
            row.save()
        after = [_variable_text(row) for row in rows]
        if before != after:
            _recorded(acting_user, channel, "changed", item, {"variables": (before, after)})
    return rows


def _variable_text(variable: CatalogVariable) -> dict[str, Any]:
    return {name: getattr(variable, name) for name in VARIABLE_DEFAULTS}


def _check_approver(row: ApprovalStep, prefix: str, errors: dict[str, list[str]]) -> None:
    """Who is named fits the kind of level, and can approve."""
    problems: dict[str, str] = {}
    if row.group is not None and row.approver_kind != ApproverKind.GROUP:
        problems["group"] = "Only a level approved by a group names a group."
    elif row.group is not None and not row.group.is_active:
        problems["group"] = f"{row.group} is not an active group."
    if row.user is not None and row.approver_kind != ApproverKind.USER:
        problems["user"] = "Only a level approved by one person names that person."
    elif row.user is not None and not row.user.is_active:
        problems["user"] = f"{row.user.get_username()} is not an active user."
    for field, text in problems.items():
        errors.setdefault(f"{prefix}.{field}", []).append(text)


def replace_approval_steps(
    item: CatalogItem, specs: Sequence[Spec], *, acting_user: Any, channel: str = Channel.WEB
) -> list[ApprovalStep]:
    """The item's approval policy becomes ``specs``: level 1, 2… in that order (none: no
    approval). Each names the approver kind, the group or user when the kind needs one, and
    the rule."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    before = [_approval_text(step) for step in item.approval_steps.all()]
    errors: dict[str, list[str]] = {}
    rows: list[ApprovalStep] = []
    for index, spec in enumerate(specs):
        prefix = f"approval_steps.{index}"
        row = ApprovalStep(item=item, level=index + 1)
        for name, value in _row_values(spec, APPROVAL_DEFAULTS, prefix).items():
            setattr(row, name, value)
        _validate_row(row, prefix, errors)
        _check_approver(row, prefix, errors)
        rows.append(row)
    _refuse_problems(rows, errors, "approval_steps", MAX_LEVELS)
    with transaction.atomic():
        item.approval_steps.all().delete()
        ApprovalStep.objects.bulk_create(rows)
        after = [_approval_text(step) for step in rows]
        if before != after:
            _recorded(acting_user, channel, "changed", item, {"approval_steps": (before, after)})
    return rows


def _approval_text(step: ApprovalStep) -> str:
    who = str(step.group or "") or (step.user.get_username() if step.user else "")
    return " ".join(filter(None, [f"{step.level}:", step.approver_kind, who, f"({step.rule})"]))


def _step_row(
    item: CatalogItem, values: dict[str, Any], current: Mapping[int, FulfilmentStep], prefix: str
) -> tuple[FulfilmentStep, dict[str, list[str]]]:
    """The step a spec describes: the item's step with its ``id``, else a new one. Its webhook
    secret is kept when the spec leaves it out (None); "" removes it."""
    errors: dict[str, list[str]] = {}
    step_id = values.pop("id")
    row = current.get(step_id) if step_id is not None else FulfilmentStep(item=item)
    if row is None:
        errors[f"{prefix}.id"] = [f"{item} has no fulfilment step {step_id}."]
        row = FulfilmentStep(item=item)
    if values["webhook_secret"] is None:
        values["webhook_secret"] = row.webhook_secret
    for name, value in values.items():
        setattr(row, name, value)
    if not isinstance(row.stage, int) or row.stage < 1:
        errors[f"{prefix}.stage"] = ["Stages are numbered from 1."]
    if row.group is not None and not row.group.is_active:
        errors[f"{prefix}.group"] = [f"{row.group} is not an active group."]
    return row, errors


def replace_fulfilment_steps(
    item: CatalogItem, specs: Sequence[Spec], *, acting_user: Any, channel: str = Channel.WEB
) -> list[FulfilmentStep]:
    """The item's fulfilment plan becomes ``specs``: the steps of one stage are worked in
    parallel, stages one after the other. A spec with an ``id`` changes that step; a step left
    out is removed (its open tasks stay, worked by people)."""
    require_permission(acting_user, RequestPermission.MANAGE_CATALOG)
    current = {step.pk: step for step in item.fulfilment_steps.all()}
    before = [_step_text(step) for step in current.values()]
    errors: dict[str, list[str]] = {}
    rows: list[FulfilmentStep] = []
    for index, spec in enumerate(specs):
        prefix = f"fulfilment_steps.{index}"
        row, problems = _step_row(item, _row_values(spec, STEP_DEFAULTS, prefix), current, prefix)
        if row.pk is not None and any(row.pk == other.pk for other in rows):
            problems.setdefault(f"{prefix}.id", []).append("Each step once.")
        for key, texts in problems.items():
            errors.setdefault(key, []).extend(texts)
        _validate_row(row, prefix, errors)
        rows.append(row)
    _refuse_problems(rows, errors, "fulfilment_steps", MAX_STEPS)
    with transaction.atomic():
        item.fulfilment_steps.exclude(pk__in=[row.pk for row in rows if row.pk]).delete()
        for row in rows:
            row.save()
        after = [_step_text(step) for step in sorted(rows, key=lambda step: step.stage)]
        if before != after:
            changes = {"fulfilment_steps": (before, after)}
            _recorded(acting_user, channel, "changed", item, changes)
    return rows


def _step_text(step: FulfilmentStep) -> dict[str, Any]:
    """A step as logged: never its secret, only whether it has one."""
    return {
        "stage": step.stage,
        "title": step.title,
        "group": str(step.group or ""),
        "webhook_url": step.webhook_url,
        "signed": bool(step.webhook_secret),
        "instructions": step.instructions,
    }
