"""The shared shape of an update action: check the fields, validate, save, record, re-index."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from watchkeeper.core import search
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import diff, record_change


def update_fields(
    obj: Any,
    values: Mapping[str, Any],
    *,
    allowed: Collection[str],
    acting_user: Any,
    channel: str,
    clean: Callable[[Any], None] | None = None,
    search_text: Callable[[Any], str] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change ``obj``'s ``values`` in one transaction with their history entry; return the changes.

    Nothing is saved when validation fails, and ``obj`` is left as it was.
    """
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({field: "This field cannot be changed here." for field in unknown})
    changes = diff(obj, values)
    if not changes:
        return changes
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        (clean or models.Model.full_clean)(obj)
    except ValidationError:
        for name, (old, _new) in changes.items():
            setattr(obj, name, old)
        raise
    with transaction.atomic():
        obj.save(update_fields=[*changes])
        record_change(obj, action="updated", actor=acting_user, channel=channel, changes=changes)
        if search_text is not None:
            search.index(obj, search_text(obj))
    return changes


def lock_current(obj: Any, expected_version: int | None) -> Any:
    """Re-read ``obj`` locked for this transaction; refuse if it changed since the caller read it.

    Optimistic concurrency: the caller passes the ``version`` it saw; a different current version
    means someone else saved in between, and the change is refused (HTTP 409) instead of
    silently overwriting theirs.
    """
    current = obj._meta.model._default_manager.select_for_update().get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            f"{current} was changed by someone else (version {current.version}, you had "
            f"{expected_version}). Reload it and apply your change again.",
            current_version=current.version,
        )
    return current


def save_versioned(
    obj: Any,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    action: str,
    acting_user: Any,
    channel: str,
    extra_fields: Collection[str] = (),
    notes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    """Save ``changes`` (already set on ``obj``) with a new version and their history entry;
    ``notes`` go into the same entry without being fields (a reason, a related row's change).

    Must run inside the transaction that locked ``obj`` with ``lock_current``.
    """
    obj.version += 1
    fields = {*changes, *extra_fields, "version", "updated_at"}
    obj.save(update_fields=sorted(fields))
    recorded = {**changes, **(notes or {})}
    record_change(obj, action=action, actor=acting_user, channel=channel, changes=recorded)
