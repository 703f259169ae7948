"""Hash-chained history entries built in memory, for bulk writes (imports, CMDB discovery).

``core.history.record_change`` appends one entry at a time, re-reading and locking the record's
head; an import writing 100,000 entries builds them here instead, with exactly the same fields,
normalisation and hash, and inserts them with ``bulk_create`` in the transaction that creates the
records. ``verify_history()`` recomputes these chains like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from watchkeeper.core.history import Changes, entry_hash, jsonable
from watchkeeper.core.models import Historied, HistoryEntry

#: The columns an import writes (the primary key is the database's).
ENTRY_FIELDS = (
    "content_type",
    "object_id",
    "sequence",
    "at",
    "actor",
    "actor_label",
    "channel",
    "action",
    "changes",
    "prev_hash",
    "hash",
)
SEARCH_FIELDS = ("id", "content_type", "object_id", "text")


@dataclass(frozen=True)
class Change:
    """One entry to append: when, who, what."""

    at: dt.datetime
    action: str
    changes: Changes
    actor: Any = None


def actor_fields(actor: Any) -> tuple[int | None, str]:
    """The entry's actor id and label, as ``record_change`` sets them."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return (user.pk, user.get_username()) if user is not None else (None, "system")


def normalised(changes: Changes) -> dict[str, Any]:
    """The stored form of ``changes``: what reading the JSON back from the database gives.

    ``jsonable`` already gives JSON's own types (dicts with string keys, lists, strings,
    numbers, booleans, null), which read back the same, so no round trip through JSON is needed.
    """
    return {
        name: {"old": _jsonable(old), "new": _jsonable(new)} for name, (old, new) in changes.items()
    }


_PLAIN = (str, int, bool, type(None))
_MEMO: dict[tuple[type, Any], Any] = {}


def forget() -> None:
    """Drop the remembered values (each import starts afresh: ids may have been reused)."""
    _MEMO.clear()


def _jsonable(value: Any) -> Any:
    """``jsonable``, remembered for records and times (an import repeats the same ones)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Model):
        key: tuple[type, Any] = (type(value), value.pk)
    elif isinstance(value, dt.datetime):
        key = (dt.datetime, value)
    else:
        return jsonable(value)
    if key not in _MEMO:
        if len(_MEMO) > 200_000:
            _MEMO.clear()
        _MEMO[key] = jsonable(value)
    return _MEMO[key]


def new_entry(**values: Any) -> HistoryEntry:
    """An unsaved ``HistoryEntry`` holding just its column values, for hashing and inserting.

    ``Model.__init__`` (signals, descriptors, defaults) costs more than the hash itself at
    100,000 entries; ``entry_hash`` and ``sql.insert`` read nothing but these attributes.
    """
    entry = HistoryEntry.__new__(HistoryEntry)
    entry.__dict__.update(values)
    return entry


def chain(obj: Historied, changes: Iterable[Change], *, channel: str) -> list[HistoryEntry]:
    """The entries that extend ``obj``'s chain (not saved); ``obj``'s head moves to the last one.

    ``obj`` must have its primary key; the caller saves the entries and the new head in one
    transaction.
    """
    content_type = ContentType.objects.get_for_model(obj._meta.model)
    entries = []
    sequence, previous = obj.history_length, obj.history_hash
    for change in changes:
        sequence += 1
        actor_id, actor_label = actor_fields(change.actor)
        entry = new_entry(
            content_type_id=content_type.pk,
            object_id=str(obj.pk),
            sequence=sequence,
            at=change.at,
            actor_id=actor_id,
            actor_label=actor_label,
            channel=str(channel),
            action=change.action,
            changes=normalised(change.changes),
            prev_hash=previous,
        )
        entry.hash = entry_hash(entry)
        previous = entry.hash
        entries.append(entry)
    obj.history_length, obj.history_hash = sequence, previous
    return entries
