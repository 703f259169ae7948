"""Writes to the access configuration (access managers): the roles systems declare, the separation-
of-duties rules, the access profiles, and which catalog items are joiner, mover or leaver
requests.

Each change is in the tamper-evident history of the role, rule or profile; making a catalog item
a joiner, mover or leaver request (or no longer one) is in the catalog item's. A joiner or mover
item's ``profile`` question offers the profiles in use: it is kept in step with them here."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from watchkeeper.access.choices import LifecycleKind
from watchkeeper.access.lifecycle import LAST_DAY, PROFILE
from watchkeeper.access.models import AccessProfile, AccessRole, LifecycleItem, SodRule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.requests.choices import VariableKind
from watchkeeper.requests.models import CatalogItem, CatalogVariable

ROLE_FIELDS = ("system", "name", "description", "owner", "max_days", "catalog_item", "is_active")
RULE_FIELDS = ("first", "second", "description", "mode", "approver", "is_active")
PROFILE_FIELDS = ("name", "description", "is_active")
Changes = dict[str, tuple[Any, Any]]


def save_role(
    role: AccessRole | None,
    values: Mapping[str, Any],
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
) -> AccessRole:
    """Declare a role (``role`` None) or change one."""
    require_permission(acting_user, AccessPermission.MANAGE)
    with transaction.atomic():
        current = _locked(role, AccessRole)
        created = current.pk is None
        changes = _set(current, values, ROLE_FIELDS, _check_role)
        _save(current, "name")
        _record(current, changes, created, acting_user, channel)
    return current


def save_rule(
    rule: SodRule | None,
    values: Mapping[str, Any],
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
) -> SodRule:
    """Make a separation-of-duties rule (``rule`` None) or change one."""
    require_permission(acting_user, AccessPermission.MANAGE)
    with transaction.atomic():
        current = _locked(rule, SodRule)
        created = current.pk is None
        changes = _set(current, values, RULE_FIELDS, _check_rule)
        _save(current, "second")
        _record(current, changes, created, acting_user, channel)
    return current


def save_profile(
    profile: AccessProfile | None,
    values: Mapping[str, Any],
    *,
    roles: Sequence[AccessRole] | None = None,
    acting_user: Any,
    channel: str = Channel.WEB,
) -> AccessProfile:
    """Make an access profile (``profile`` None) or change one; ``roles`` (None: unchanged)
    replaces its roles."""
    require_permission(acting_user, AccessPermission.MANAGE)
    with transaction.atomic():
        current = _locked(profile, AccessProfile)
        created = current.pk is None
        held = list(current.roles.select_related("system")) if current.pk else []
        changes = _set(current, values, PROFILE_FIELDS, None)
        if roles is not None:
            _check_profile_roles(roles)
            if {r.pk for r in roles} != {r.pk for r in held} or not current.pk:
                changes["roles"] = (sorted(map(str, held)), sorted(map(str, roles)))
        _save(current, "name")
        if roles is not None:
            current.roles.set(roles)
        _record(current, changes, created, acting_user, channel)
        offer_profiles()
    return current


def set_lifecycle_items(
    entries: Sequence[tuple[CatalogItem, str]], *, acting_user: Any, channel: str = Channel.WEB
) -> list[LifecycleItem]:
    """Make exactly these catalog items the joiner, mover and leaver requests (the others stop
    being one); a missing ``profile`` or ``last_day`` question is added to the item's form."""
    require_permission(acting_user, AccessPermission.MANAGE)
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for number, (item, kind) in enumerate(entries, 1):
        if problem := _lifecycle_problem(item, kind, seen):
            errors[f"items.{number}.catalog_item"] = problem
        seen.add(item.pk)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = dict(LifecycleItem.objects.values_list("catalog_item_id", "kind"))
        gone = LifecycleItem.objects.exclude(catalog_item_id__in=seen).select_related(
            "catalog_item"
        )
        for ended in gone:
            _record(ended.catalog_item, {"lifecycle": (ended.kind, None)}, False, acting_user,
                    channel)  # fmt: skip
            ended.delete()
        for item, kind in entries:
            LifecycleItem.objects.update_or_create(catalog_item=item, defaults={"kind": kind})
            _ensure_question(item, kind)
            if before.get(item.pk) != kind:
                changes = {"lifecycle": (before.get(item.pk), kind)}
                _record(item, changes, False, acting_user, channel)
        offer_profiles()
    made = LifecycleItem.objects.filter(catalog_item_id__in=seen)
    return list(made.select_related("catalog_item").order_by("catalog_item__name"))


def offer_profiles() -> None:
    """Each joiner and mover item's ``profile`` question offers the profiles in use (left as
    it is while none is: a choice needs options; the order check refuses an old one)."""
    names = list(
        AccessProfile.objects.filter(is_active=True).order_by("name").values_list("name", flat=True)
    )
    if not names:
        return
    questions = CatalogVariable.objects.filter(
        item__lifecycle__kind__in=[LifecycleKind.JOINER, LifecycleKind.MOVER],
        name=PROFILE,
        kind=VariableKind.CHOICE,
    )
    for question in questions:
        if question.choices != names:
            question.choices = names
            question.save(update_fields=["choices"])


def _locked(obj: Any, model: type[models.Model]) -> Any:
    if obj is None or obj.pk is None:
        return obj if obj is not None else model()
    return model._default_manager.select_for_update().get(pk=obj.pk)


def _save(obj: models.Model, field: str) -> None:
    """Save; a twin saved by someone else at the same moment is refused like any twin."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({field: "The same was saved at this moment: look again."}) from None


def _set(obj: Any, values: Mapping[str, Any], allowed: Collection[str], check: Any) -> Changes:
    """Set ``values`` on ``obj`` and validate it (every problem named by its field); the
    changes as (old, new), every value for a new row."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    creating = obj.pk is None
    old = {} if creating else {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    errors: dict[str, list[str]] = {}
    try:
        obj.full_clean(validate_constraints=False)
    except ValidationError as problem:
        errors = problem.message_dict
    if check is not None and not errors:
        errors = check(obj)
    if errors:
        raise ValidationError(errors)
    return {
        name: (old.get(name), value)
        for name, value in values.items()
        if creating or old[name] != value
    }


def _check_role(role: AccessRole) -> dict[str, str]:
    errors = {}
    twins = AccessRole.objects.filter(system=role.system, name=role.name).exclude(pk=role.pk)
    if twins.exists():
        errors["name"] = f"{role.system.name} already has a role named {role.name!r}."
    if not role.owner.is_active:
        errors["owner"] = f"{role.owner.username} is not an active user."
    if role.catalog_item_id and LifecycleItem.objects.filter(catalog_item_id=role.catalog_item_id):
        errors["catalog_item"] = "This catalog item is a joiner, mover or leaver request."
    return errors


def _check_rule(rule: SodRule) -> dict[str, str]:
    errors = {}
    if rule.first_id == rule.second_id:
        errors["second"] = "A rule needs two different roles."
    pair = Q(first=rule.first_id, second=rule.second_id) | Q(
        first=rule.second_id, second=rule.first_id
    )
    twin = SodRule.objects.filter(pair).exclude(pk=rule.pk).first()
    if twin is not None and not errors:
        errors["second"] = f"A rule for these two roles exists already (id {twin.pk})."
    if rule.approver is not None and not rule.approver.is_active:
        errors["approver"] = f"{rule.approver.username} is not an active user."
    return errors


def _check_profile_roles(roles: Iterable[AccessRole]) -> None:
    chosen = {role.pk: role for role in roles}
    inactive = [str(role) for role in chosen.values() if not role.is_active]
    if inactive:
        raise ValidationError({"roles": f"No longer granted: {', '.join(inactive)}."})
    clash = SodRule.objects.filter(is_active=True, first__in=chosen, second__in=chosen).first()
    if clash is not None:
        raise ValidationError(
            {"roles": f"Separation of duties: {clash.first} and {clash.second} may not be held "
             f"together ({clash.description})."}
        )  # fmt: skip


def _lifecycle_problem(item: CatalogItem, kind: str, seen: set[int]) -> str | None:
    if kind not in LifecycleKind.values:
        return f"The kind is one of: {', '.join(LifecycleKind.values)}."
    if item.pk in seen:
        return f"{item} is listed twice."
    if AccessRole.objects.filter(catalog_item=item).exists():
        return f"{item} requests an access role."
    leaver = kind == LifecycleKind.LEAVER
    name, wanted = (LAST_DAY, VariableKind.DATE) if leaver else (PROFILE, VariableKind.CHOICE)
    question = item.variables.filter(name=name).first()
    if question is not None and question.kind != wanted:
        return f"Its question {name!r} must be a {VariableKind(wanted).label.lower()} question."
    if not leaver and not AccessProfile.objects.filter(is_active=True).exists():
        return "Make an access profile first: a joiner or mover chooses one."
    return None


def _ensure_question(item: CatalogItem, kind: str) -> None:
    values: dict[str, Any]
    if kind == LifecycleKind.LEAVER:
        name, values = LAST_DAY, {
            "label": "Last day", "kind": VariableKind.DATE,
            "help_text": "Their access ends after this day.",
        }  # fmt: skip
    else:
        in_use = AccessProfile.objects.filter(is_active=True).order_by("name")
        name, values = PROFILE, {
            "label": "Access profile", "kind": VariableKind.CHOICE,
            "choices": list(in_use.values_list("name", flat=True)),
            "help_text": "The job's standard access: its roles are granted.",
        }  # fmt: skip
    if item.variables.filter(name=name).exists():
        return
    last = item.variables.order_by("-position").values_list("position", flat=True).first()
    question = CatalogVariable(
        item=item, name=name, required=True, position=(last or 0) + 1, **values
    )
    question.full_clean()
    question.save()


def _record(obj: Any, changes: Changes, created: bool, acting_user: Any, channel: str) -> None:
    """The change in ``obj``'s history, inside the transaction that made it."""
    if changes or created:
        action = "created" if created else "updated"
        record_change(obj, action=action, actor=acting_user, channel=channel, changes=changes)
