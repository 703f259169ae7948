"""Writes to configuration items and their relations, each with its history entry.

A relation is recorded in its source item's history ("relation added: runs on CI0001002 srv-01"),
so an item's page tells what it was connected to and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from watchkeeper.cmdb.choices import CI_TRANSITIONS, RelationType
from watchkeeper.cmdb.classes import clean_attributes
from watchkeeper.cmdb.graph_cache import graph_changed
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core import search
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned

#: Fields an action may set; ``number``, history and discovery stamps are the system's.
CI_FIELDS = (
    "name", "ci_class", "status", "environment", "description", "criticality", "owner",
    "owner_group", "support_group", "hostname", "ip_address", "serial_number", "attributes",
    "restore_test_days",
)  # fmt: skip


def search_text(ci: ConfigurationItem) -> str:
    parts = (ci.number, ci.name, ci.hostname, ci.ip_address or "", ci.serial_number)
    return " ".join((*parts, ci.description))


def _normalise(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(CI_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    cleaned = dict(values)
    for name in ("name", "hostname", "serial_number"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
    if isinstance(cleaned.get("hostname"), str):
        cleaned["hostname"] = cleaned["hostname"].lower()
    if cleaned.get("ip_address") == "":
        cleaned["ip_address"] = None
    return cleaned


def _validate(ci: ConfigurationItem) -> None:
    """Every field, then the class's typed attributes (errors name ``attributes.<name>``)."""
    errors: dict[str, Any] = {}
    try:
        ci.full_clean(exclude=["number", "attributes"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        ci.attributes = clean_attributes(ci.ci_class, ci.attributes)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def create_ci(
    *, name: str, ci_class: str, acting_user: Any, channel: str = Channel.WEB, **fields: Any
) -> ConfigurationItem:
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    values = _normalise({"name": name, "ci_class": ci_class, **fields})
    ci = ConfigurationItem(**values)
    _validate(ci)
    with transaction.atomic():
        ci.number = next_number(ConfigurationItem.NUMBER_PREFIX)
        ci.save()
        changes = {key: (None, getattr(ci, key)) for key in values}
        record_change(ci, action="created", actor=acting_user, channel=channel, changes=changes)
        search.index(ci, search_text(ci))
    return ci


def update_ci(
    ci: ConfigurationItem,
    values: Mapping[str, Any],
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of ``ci`` (lifecycle moves checked); returns the changes, nothing if none."""
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    values = _normalise(values)
    with transaction.atomic():
        current = lock_current(ci, expected_version)
        changes = {
            k: (getattr(current, k), v) for k, v in values.items() if getattr(current, k) != v
        }
        if "status" in changes and changes["status"][1] not in CI_TRANSITIONS[current.status]:
            allowed = ", ".join(sorted(CI_TRANSITIONS[current.status]))
            raise ValidationError({"status": f"From {current.status} an item can go to {allowed}."})
        for name, (_old, new) in changes.items():
            setattr(current, name, new)
        _validate(current)
        changes = {k: (old, getattr(current, k)) for k, (old, _new) in changes.items()}
        changes = {k: pair for k, pair in changes.items() if pair[0] != pair[1]}
        if changes:
            save_versioned(
                current, changes, action="updated", acting_user=acting_user, channel=channel
            )
            search.index(current, search_text(current))
            if "ci_class" in changes:
                graph_changed()  # the graph in memory knows each item's class
    _copy_into(ci, current)
    return changes


def _copy_into(ci: ConfigurationItem, current: ConfigurationItem) -> None:
    for field in ci._meta.concrete_fields:
        setattr(ci, field.attname, getattr(current, field.attname))


def set_subscribers(
    ci: ConfigurationItem, users: Iterable[Any], *, acting_user: Any, channel: str = Channel.WEB
) -> None:
    """Replace the people who use a service (they are the users an impact analysis reports)."""
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    wanted = {user.pk: user for user in users}
    with transaction.atomic():
        before = {user.pk: user for user in ci.subscribers.all()}
        if set(before) == set(wanted):
            return
        ci.subscribers.set(wanted.values())
        old, new = sorted(map(str, before.values())), sorted(map(str, wanted.values()))
        changes = {"subscribers": (old, new)}
        record_change(ci, action="updated", actor=acting_user, channel=channel, changes=changes)


def relation_label(relation: Relation) -> str:
    return f"{relation.get_type_display()} {relation.target.number} {relation.target.name}"


def add_relation(
    source: ConfigurationItem,
    relation_type: str,
    target: ConfigurationItem,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    discovery_source: str = "",
) -> Relation:
    """Relate two items; an existing identical relation is returned as it is (idempotent)."""
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    if relation_type not in RelationType.values:
        raise ValidationError({"type": f"Use one of {', '.join(RelationType.values)}."})
    if source.pk == target.pk:
        raise ValidationError({"target": "An item cannot be related to itself."})
    existing = Relation.objects.filter(source=source, target=target, type=relation_type).first()
    if existing is not None:
        return existing
    relation = Relation(source=source, target=target, type=relation_type)
    relation.discovery_source = discovery_source
    try:
        with transaction.atomic():
            relation.save()
            graph_changed()
            changes = {"relation": (None, relation_label(relation))}
            record_change(
                source, action="relation added", actor=acting_user, channel=channel, changes=changes
            )
    except IntegrityError:  # the same relation, added at the same moment by someone else
        return Relation.objects.get(source=source, target=target, type=relation_type)
    return relation


def remove_relation(relation: Relation, *, acting_user: Any, channel: str = Channel.WEB) -> None:
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    with transaction.atomic():
        label = relation_label(relation)
        deleted, _ = Relation.objects.filter(pk=relation.pk).delete()
        if deleted:
            graph_changed()
            changes = {"relation": (label, None)}
            record_change(
                relation.source,
                action="relation removed",
                actor=acting_user,
                channel=channel,
                changes=changes,
            )
