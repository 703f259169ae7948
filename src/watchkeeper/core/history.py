"""Append-only, hash-chained history of every record, and its verification.

Each entry's hash covers the record, its sequence, time, actor, channel, action, field changes and
the previous entry's hash, so altering or deleting any entry breaks the chain. Actions call
``record_change`` inside the same transaction as the change itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.models import Historied, HistoryEntry

Changes = Mapping[str, tuple[Any, Any]]


def jsonable(value: Any) -> Any:
    """A JSON value that reads back the same, so the hash can be recomputed from the database."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return {"id": jsonable(value.pk), "label": str(value)}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(item) for item in value]
    return str(value)


def record_key(entry_or_obj: HistoryEntry | models.Model) -> str:
    if isinstance(entry_or_obj, HistoryEntry):
        ct = ContentType.objects.get_for_id(entry_or_obj.content_type_id)
        return f"{ct.app_label}.{ct.model}:{entry_or_obj.object_id}"
    meta = entry_or_obj._meta
    return f"{meta.app_label}.{meta.model_name}:{entry_or_obj.pk}"


def entry_hash(entry: HistoryEntry) -> str:
    payload = {
        "record": record_key(entry),
        "sequence": entry.sequence,
        "at": jsonable(entry.at),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "channel": entry.channel,
        "action": entry.action,
        "changes": entry.changes,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_change(
    obj: Historied,
    *,
    action: str,
    actor: Any = None,
    channel: str = Channel.SYSTEM,
    changes: Changes | None = None,
    actor_label: str = "",
) -> HistoryEntry:
    """Append one entry to ``obj``'s chain; must run inside the transaction that made the change.

    The record's row is locked so that two concurrent changes get consecutive sequence numbers.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change must run inside transaction.atomic with the change")
    model = obj._meta.model  # not type(obj): request.user is a lazy proxy
    head = model._default_manager.select_for_update().values("history_length", "history_hash")
    current = head.get(pk=obj.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = HistoryEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(obj.pk),
        sequence=current["history_length"] + 1,
        at=timezone.now(),
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        channel=str(channel),
        action=action,
        changes={
            field: {"old": jsonable(old), "new": jsonable(new)}
            for field, (old, new) in (changes or {}).items()
        },
        prev_hash=current["history_hash"],
    )
    entry.changes = json.loads(json.dumps(entry.changes))
    entry.hash = entry_hash(entry)
    entry.save()
    head_fields = {"history_length": entry.sequence, "history_hash": entry.hash}
    model._default_manager.filter(pk=obj.pk).update(**head_fields)
    obj.history_length, obj.history_hash = entry.sequence, entry.hash
    return entry


def diff(obj: models.Model, new_values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The ``field: (old, new)`` pairs among ``new_values`` that differ from ``obj``'s values."""
    return {
        name: (getattr(obj, name), value)
        for name, value in new_values.items()
        if getattr(obj, name) != value
    }


def history_of(obj: models.Model) -> models.QuerySet[HistoryEntry]:
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=str(obj.pk)
    ).order_by("sequence")


@dataclass(frozen=True)
class ChainProblem:
    record: str
    reason: str


def historied_models() -> list[type[Historied]]:
    return [model for model in apps.get_models() if issubclass(model, Historied)]


def _check_chain(key: str, entries: list[HistoryEntry]) -> Iterator[ChainProblem]:
    prev = ""
    for position, entry in enumerate(entries, start=1):
        if entry.sequence != position:
            yield ChainProblem(key, f"entry {position} is missing (next found: {entry.sequence})")
            return
        if entry.prev_hash != prev:
            yield ChainProblem(key, f"entry {entry.sequence} does not follow entry {position - 1}")
            return
        if entry_hash(entry) != entry.hash:
            yield ChainProblem(key, f"entry {entry.sequence} was altered after it was written")
            return
        prev = entry.hash


def _entries_by_record() -> Iterator[tuple[str, list[HistoryEntry]]]:
    rows = HistoryEntry.objects.order_by("content_type_id", "object_id", "sequence")
    key, chain = "", list[HistoryEntry]()
    for entry in rows.iterator(chunk_size=2000):
        entry_key = record_key(entry)
        if entry_key != key and chain:
            yield key, chain
            chain = []
        key = entry_key
        chain.append(entry)
    if chain:
        yield key, chain


def verify_history() -> list[ChainProblem]:
    """Recompute every chain and compare it with the head kept on its record."""
    problems: list[ChainProblem] = []
    heads: dict[str, tuple[int, str]] = {}
    for model in historied_models():
        for pk, length, head_hash in model._default_manager.values_list(
            "pk", "history_length", "history_hash"
        ).iterator():
            heads[f"{model._meta.app_label}.{model._meta.model_name}:{pk}"] = (length, head_hash)
    for key, chain in _entries_by_record():
        chain_problems = list(_check_chain(key, chain))
        problems.extend(chain_problems)
        head = heads.pop(key, None)
        if chain_problems:
            continue
        if head is None:
            if chain[-1].action != "deleted":
                problems.append(ChainProblem(key, "record was deleted without a history entry"))
        elif head != (chain[-1].sequence, chain[-1].hash):
            problems.append(ChainProblem(key, f"entries after {chain[-1].sequence} were deleted"))
    for key, (length, _) in heads.items():
        if length:
            problems.append(ChainProblem(key, f"all {length} history entries were deleted"))
    return problems
