"""Writing a plan in bulk: the same rows, history entries and search text as the actions write.

``create_ci``, ``update_ci`` and ``add_relation`` write one item at a time, each re-reading and
locking its history head; 10,000 items that way take minutes. Here each kind of row goes in with
one prepared statement per batch (``core.bulk``), numbers are reserved in one step, and every
item's history entries (``created`` or ``updated``, then one ``relation added`` per new relation
it is the source of) are hashed in memory exactly as ``core.history.record_change`` hashes them,
so ``audit verify`` checks them like any other. Runs inside the caller's transaction, which
holds the rows that ``planning`` locked: all of it is written, or none.

Discovery stamps (``discovery_source``, ``last_discovered_at``) are not changes of the item:
they are set by one plain UPDATE, without a history entry or a new version, so an inventory
sent every hour leaves the history alone unless something really changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from watchkeeper.cmdb.actions import CI_FIELDS, search_text
from watchkeeper.cmdb.choices import RelationType
from watchkeeper.cmdb.graph_cache import graph_changed
from watchkeeper.cmdb.identity import chunks
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.upsert.planning import CREATE, UPDATE, Plan
from watchkeeper.core import bulk as sql
from watchkeeper.core.history_bulk import ENTRY_FIELDS, SEARCH_FIELDS, Change, chain
from watchkeeper.core.models import HistoryEntry, SearchEntry
from watchkeeper.core.numbering import reserve_numbers

UPDATED_FIELDS = (*CI_FIELDS, "version", "updated_at")
RELATION_FIELDS = ("source", "target", "type", "discovery_source", "created_at")
HEAD_FIELDS = ("history_length", "history_hash")


@dataclass(frozen=True)
class Stamp:
    """Who saw the items and when: discovery's marks on every item it reports."""

    source: str
    at: dt.datetime


def write_plan(plan: Plan, *, acting_user: Any, channel: str, stamp: Stamp | None = None) -> None:
    """Write ``plan`` (which has no problems) inside the caller's transaction."""
    now = stamp.at if stamp is not None else timezone.now()
    items = _create_items(plan, now, stamp)
    for item in plan.items:
        items.setdefault(item.key, item.ci)
    _update_items(plan, now)
    _create_relations(plan, items, stamp, now)
    if plan.new_relations() or any(item.outcome == UPDATE for item in plan.items):
        graph_changed()  # new relations, or an item's class may have changed
    _write_history(plan, items, acting_user, channel, now)
    _index(plan)
    if stamp is not None:
        seen = [item.key for item in plan.items if item.outcome != CREATE]
        for chunk in chunks(seen):
            ConfigurationItem.objects.filter(pk__in=chunk).update(
                discovery_source=stamp.source, last_discovered_at=stamp.at
            )


def _create_items(
    plan: Plan, now: dt.datetime, stamp: Stamp | None
) -> dict[int, ConfigurationItem]:
    """Insert the new items with numbers reserved in one step; their stand-in keys -> items."""
    created = [item for item in plan.items if item.outcome == CREATE]
    numbers = reserve_numbers(ConfigurationItem.NUMBER_PREFIX, len(created))
    for item, number in zip(created, numbers, strict=True):
        item.ci.number, item.ci.created_at, item.ci.updated_at = number, now, now
        if stamp is not None:
            item.ci.discovery_source, item.ci.last_discovered_at = stamp.source, stamp.at
    sql.insert_all(ConfigurationItem, [item.ci for item in created])
    ids: dict[str, int] = {}
    for chunk in chunks(numbers):
        rows = ConfigurationItem.objects.filter(number__in=chunk).values_list("number", "pk")
        ids.update(rows)
    for item in created:
        item.ci.pk = ids[item.ci.number]
        item.ci._state.adding = False
    return {item.key: item.ci for item in created}


def _update_items(plan: Plan, now: dt.datetime) -> None:
    """Write the changed items whole (their rows are locked), each with a new version."""
    updated = [item.ci for item in plan.items if item.outcome == UPDATE]
    for ci in updated:
        ci.version += 1
        ci.updated_at = now
    sql.update(ConfigurationItem, UPDATED_FIELDS, updated)


def _create_relations(
    plan: Plan, items: dict[int, ConfigurationItem], stamp: Stamp | None, now: dt.datetime
) -> None:
    source = stamp.source if stamp is not None else ""
    rows = [
        Relation(
            source_id=_id(relation.source, items),
            target_id=_id(relation.target, items),
            type=relation.type,
            discovery_source=source,
            created_at=now,
        )
        for relation in plan.new_relations()
    ]
    sql.insert(Relation, RELATION_FIELDS, rows)


def _id(key: int, items: dict[int, ConfigurationItem]) -> int:
    """An item's id: a stand-in key (negative) becomes the id of the item created for it."""
    return int(items[key].pk) if key < 0 else key


def _write_history(
    plan: Plan, items: dict[int, ConfigurationItem], actor: Any, channel: str, now: dt.datetime
) -> None:
    """Each touched item's new entries, chained from its (locked) head."""
    changes: dict[int, list[Change]] = {}
    for item in plan.items:
        if item.outcome in (CREATE, UPDATE):
            action = "created" if item.outcome == CREATE else "updated"
            changes[_id(item.key, items)] = [Change(now, action, item.changes, actor)]
    for relation in plan.new_relations():
        target = items.get(relation.target)
        number, name = (
            (target.number, target.name) if target is not None else _label(plan, relation.target)
        )
        label = f"{RelationType(relation.type).label} {number} {name}"
        entry = Change(now, "relation added", {"relation": (None, label)}, actor)
        changes.setdefault(_id(relation.source, items), []).append(entry)
    heads = {ci.pk: ci for ci in items.values()}
    heads.update(_locked_heads([pk for pk in changes if pk not in heads]))
    entries: list[HistoryEntry] = []
    for pk, item_changes in changes.items():
        entries.extend(chain(heads[pk], item_changes, channel=channel))
    sql.insert(HistoryEntry, ENTRY_FIELDS, entries)
    sql.update(ConfigurationItem, HEAD_FIELDS, [heads[pk] for pk in changes])


def _label(plan: Plan, key: int) -> tuple[str, str]:
    end = plan.ends[key]
    return end.number, end.name


def _locked_heads(ids: Sequence[int]) -> dict[int, ConfigurationItem]:
    """The history heads of relation sources that the plan did not read, locked."""
    items = ConfigurationItem.objects.select_for_update().only("pk", *HEAD_FIELDS)
    return {ci.pk: ci for chunk in chunks(sorted(ids)) for ci in items.filter(pk__in=chunk)}


def _index(plan: Plan) -> None:
    """Search text as the actions store it: inserted for new items, replaced for changed ones."""
    content_type = ContentType.objects.get_for_model(ConfigurationItem)

    def entries(outcome: str) -> list[SearchEntry]:
        return [
            SearchEntry.for_record(content_type.pk, item.ci.pk, search_text(item.ci))
            for item in plan.items
            if item.outcome == outcome
        ]

    sql.insert(SearchEntry, SEARCH_FIELDS, entries(CREATE))
    SearchEntry.objects.bulk_create(
        entries(UPDATE),
        batch_size=500,
        update_conflicts=True,
        unique_fields=["content_type", "object_id"],
        update_fields=["text"],
    )
