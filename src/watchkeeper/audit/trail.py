"""The audit trail browser: every history entry of every record, filtered (record type, record,
actor, action, channel, dates) and newest first, and the verification of one record's chain.

Pages are read by offset without counting every entry (the history is the largest table): a
page knows only whether a next one exists. The filters use the history's indexes: the record
(content type, object id), the time, the actor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import entry_hash, historied_models
from watchkeeper.core.history_rows import display, label
from watchkeeper.core.models import HistoryEntry

PAGE_SIZE = 50
MAX_PAGE = 2000


def record_types() -> list[ContentType]:
    """The content types of every model with a history, by name."""
    types = [ContentType.objects.get_for_model(model) for model in historied_models()]
    return sorted(types, key=lambda ct: str(ct.name))


def _numbered() -> list[type[models.Model]]:
    found = [m for m in historied_models() if getattr(m, "NUMBER_PREFIX", "")]
    return sorted(found, key=lambda m: -len(getattr(m, "NUMBER_PREFIX", "")))


def find_record(type_id: int | None, text: str) -> tuple[int, str]:
    """(content type id, object id) of the record named by ``text``: a number (INC0001234…)
    or, with a record type, an id. Refused (400, naming ``record``) otherwise."""
    text = text.strip()
    for model in _numbered():
        prefix = getattr(model, "NUMBER_PREFIX", "")
        if text.upper().startswith(prefix) and text[len(prefix) :].isdigit():
            pk = model._default_manager.filter(number=text.upper()).values_list("pk", flat=True)
            found = pk.first()
            if found is None:
                raise ValidationError({"record": f"There is no record {text.upper()}."})
            return ContentType.objects.get_for_model(model).pk, str(found)
    if type_id is not None and text.isdigit() and len(text) <= 18:
        return type_id, text
    raise ValidationError(
        {"record": "Give a record number (e.g. INC0001234), or a record type and an id."}
    )


@dataclass(frozen=True)
class TrailFilters:
    type_id: int | None = None
    record: str = ""
    actor: str = ""
    action: str = ""
    channel: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def entries(filters: TrailFilters) -> QuerySet[HistoryEntry]:
    """The entries ``filters`` select, newest first."""
    found = HistoryEntry.objects.all()
    if filters.record:
        type_id, object_id = find_record(filters.type_id, filters.record)
        found = found.filter(content_type_id=type_id, object_id=object_id)
    elif filters.type_id is not None:
        found = found.filter(content_type_id=filters.type_id)
    if filters.actor:
        found = _by_actor(found, filters.actor.strip())
    if filters.action:
        found = found.filter(action=filters.action.strip())
    if filters.channel:
        if filters.channel not in Channel.values:
            raise ValidationError({"channel": f"Channel must be one of: {', '.join(Channel)}."})
        found = found.filter(channel=filters.channel)
    if filters.since and filters.until and filters.until < filters.since:
        raise ValidationError({"until": "The end of the period is before its start."})
    if filters.since:
        found = found.filter(at__gte=_start_of(filters.since))
    if filters.until:
        found = found.filter(at__lt=_start_of(filters.until + dt.timedelta(days=1)))
    return found.order_by("-at", "-pk")


def _by_actor(found: QuerySet[HistoryEntry], actor: str) -> QuerySet[HistoryEntry]:
    if actor == "system":
        return found.filter(actor__isnull=True)
    user = User.objects.filter(username=actor).values_list("pk", flat=True).first()
    if user is not None:
        return found.filter(actor_id=user)
    return found.filter(actor_label=actor)  # someone deleted since: their name stays


def page_of(found: QuerySet[HistoryEntry], number: int) -> tuple[list[HistoryEntry], bool]:
    """Page ``number`` (from 1) and whether a next page exists, without counting them all."""
    number = min(max(number, 1), MAX_PAGE)
    start = (number - 1) * PAGE_SIZE
    rows = list(found.select_related("content_type")[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _labels(rows: list[HistoryEntry]) -> dict[tuple[int, str], str]:
    """The records' numbers, one query per numbered model on the page."""
    wanted: dict[int, set[str]] = {}
    for entry in rows:
        wanted.setdefault(entry.content_type_id, set()).add(entry.object_id)
    labels = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not getattr(model, "NUMBER_PREFIX", ""):
            continue
        valid = [pk for pk in ids if pk.isdigit()]
        for pk, number in model._default_manager.filter(pk__in=valid).values_list("pk", "number"):
            labels[(type_id, str(pk))] = number
    return labels


def describe(rows: list[HistoryEntry]) -> list[dict[str, Any]]:
    """Each entry as the trail page shows it, its changes as people read them."""
    labels = _labels(rows)
    described = []
    for entry in rows:
        model = entry.content_type.model_class()
        key = (entry.content_type_id, entry.object_id)
        changes = []
        for name, pair in entry.changes.items():
            if isinstance(pair, dict) and model is not None:
                changes.append((label(model, name, {}), display(model, name, pair.get("old")),
                                display(model, name, pair.get("new"))))  # fmt: skip
        described.append({
            "entry": entry, "type": entry.content_type.name, "record": labels.get(key, ""),
            "action": entry.action.replace("_", " ").capitalize(),
            "channel": entry.get_channel_display(), "changes": changes,
        })  # fmt: skip
    return described


@dataclass(frozen=True)
class ChainResult:
    intact: bool
    entries: int
    problem: str = ""


def verify_record(type_id: int, object_id: str) -> ChainResult:
    """Recompute one record's chain and compare its end with the head kept on the record."""
    chain = list(
        HistoryEntry.objects.filter(content_type_id=type_id, object_id=object_id).order_by(
            "sequence"
        )
    )
    previous, count = "", len(chain)
    for position, entry in enumerate(chain, start=1):
        if entry.sequence != position:
            return ChainResult(False, count, f"entry {position} is missing")
        if entry.prev_hash != previous:
            return ChainResult(False, count, f"entry {position} does not follow the one before")
        if entry_hash(entry) != entry.hash:
            return ChainResult(False, count, f"entry {position} was altered after it was written")
        previous = entry.hash
    return _compare_head(type_id, object_id, chain)


def _compare_head(type_id: int, object_id: str, chain: list[HistoryEntry]) -> ChainResult:
    model = ContentType.objects.get_for_id(type_id).model_class()
    head = None
    if model is not None and hasattr(model, "history_hash"):
        head = (
            model._default_manager.filter(pk=object_id)
            .values_list("history_length", "history_hash")
            .first()
        )
    if head is None:
        if chain and chain[-1].action != "deleted":
            return ChainResult(False, len(chain), "the record was deleted without a history entry")
        return ChainResult(True, len(chain))
    length, last = head
    if not chain and length:
        return ChainResult(False, 0, f"all {length} history entries were deleted")
    if chain and (length, last) != (chain[-1].sequence, chain[-1].hash):
        return ChainResult(False, len(chain), f"entries after {chain[-1].sequence} were deleted")
    return ChainResult(True, len(chain))
