"""What an import or an inventory would do: each item matched, merged and checked; each relation
resolved. Nothing is written here.

Items are matched to the CMDB by the identity rule (``cmdb.identity``); two entries that the
rule calls the same item are a duplicate. A matched item takes the fields the entry gives and
keeps the others; attributes are merged (a ``null`` removes one). The result is checked as the
actions check it (the class's attributes, lifecycle moves, a unique name per class), so a plan
without problems writes what ``create_ci``/``update_ci``/``add_relation`` would. Relation ends
are resolved against the CMDB as it will be once the items are written, so a relation may name
an item that the same file creates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from watchkeeper.cmdb.choices import CI_TRANSITIONS
from watchkeeper.cmdb.classes import clean_attributes
from watchkeeper.cmdb.identity import Candidate, IdentityIndex, chunks
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.upsert.entries import ItemEntry, Problems, RelationEntry, Where

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class ItemPlan:
    """One item's fate. ``ci`` is the item as it will be (unsaved for a new one); ``key`` its id,
    or a negative stand-in until it is created; ``changes`` as its history entry records them."""

    where: Where
    outcome: str
    ci: ConfigurationItem
    key: int
    changes: dict[str, tuple[Any, Any]]


@dataclass
class RelationPlan:
    where: Where
    source: int
    type: str
    target: int
    exists: bool = False


@dataclass
class Plan:
    items: list[ItemPlan] = field(default_factory=list)
    relations: list[RelationPlan] = field(default_factory=list)
    #: Every item the relations name, as it will be (by key): their labels for history.
    ends: dict[int, Candidate] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    def new_relations(self) -> list[RelationPlan]:
        return [relation for relation in self.relations if not relation.exists]


def make_plan(
    items: Sequence[ItemEntry],
    relations: Sequence[RelationEntry],
    problems: Problems,
    *,
    lock: bool,
) -> Plan:
    """The plan for ``items`` and ``relations``; its problems go to ``problems``.

    With ``lock`` (inside the writing transaction) the matched items are locked, so their
    changes and history heads stay as read until the plan is written."""
    identities = [entry.identity for entry in items]
    identities += [end for relation in relations for end in (relation.source, relation.target)]
    index = IdentityIndex.load(identities)
    matched = _match(items, index, problems)
    current = _current([key for _entry, key in matched if key > 0], lock)
    plan = Plan()
    after = index.copy()
    for entry, key in matched:
        item = None if entry.failed else _plan_item(entry, key, current.get(key), problems)
        if item is not None:
            plan.items.append(item)
            after.add(_candidate(item.ci, key, entry.where))
        elif key < 0:
            after.add(_stand_in(entry, key))
    _check_names(plan.items, index, problems)
    plan.relations = _plan_relations(relations, after, problems)
    ends = {key for relation in plan.relations for key in (relation.source, relation.target)}
    plan.ends = {key: after.rows[key] for key in ends}
    return plan


def _stand_in(entry: ItemEntry, key: int) -> Candidate:
    identity = entry.identity
    return Candidate(
        key, "", identity.ci_class, identity.name, identity.hostname, identity.serial_number,
        label=f"the new item at {entry.where.label()}",
    )  # fmt: skip


def _candidate(ci: ConfigurationItem, key: int, where: Where) -> Candidate:
    label = "" if ci.number else f"the new item at {where.label()}"
    return Candidate(
        key, ci.number, ci.ci_class, ci.name, ci.hostname, ci.serial_number, label=label
    )


def _match(
    entries: Sequence[ItemEntry], index: IdentityIndex, problems: Problems
) -> list[tuple[ItemEntry, int]]:
    """Each entry with the id of the item it means, or a negative stand-in for a new one.

    Entries the rule cannot place are reported and left out; so is the second of two entries
    that mean the same item (an existing one, or one the file creates)."""
    claimed: dict[int, Where] = {}
    fresh = IdentityIndex()  # the items this file creates, as far as seen
    matched = []
    for position, entry in enumerate(entries, start=1):
        match = index.match(entry.identity)
        if match.problem:
            problems.add(entry.where, match.field, match.problem)
            entry.failed = True
            continue
        if match.candidate is not None:
            key = match.candidate.key
        else:
            earlier = fresh.match(entry.identity).candidate
            key = earlier.key if earlier is not None else -position
        if key in claimed:
            problems.add(entry.where, "", f"Describes the same item as {claimed[key].label()}.")
            entry.failed = True
            continue
        if key < 0:
            fresh.add(_stand_in(entry, key))
        claimed[key] = entry.where
        matched.append((entry, key))
    return matched


def _current(keys: list[int], lock: bool) -> dict[int, ConfigurationItem]:
    items = ConfigurationItem.objects.select_related("owner", "owner_group", "support_group")
    if lock:
        items = items.select_for_update(of=("self",))
    return {ci.pk: ci for chunk in chunks(sorted(keys)) for ci in items.filter(pk__in=chunk)}


def _plan_item(
    entry: ItemEntry, key: int, current: ConfigurationItem | None, problems: Problems
) -> ItemPlan | None:
    try:
        if current is None:
            ci, changes = _created(entry)
        else:
            ci, changes = _updated(entry, current)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            problems.add(entry.where, name, " ".join(messages))
        entry.failed = True
        return None
    outcome = CREATE if current is None else UPDATE if changes else UNCHANGED
    return ItemPlan(entry.where, outcome, ci, key, changes)


def _created(entry: ItemEntry) -> tuple[ConfigurationItem, dict[str, tuple[Any, Any]]]:
    """A new item from the fields given, checked as ``create_ci`` checks it."""
    values = dict(entry.values)
    needed = ("name", "ci_class")
    missing = {name: "is needed for a new item" for name in needed if not values.get(name)}
    if missing:
        raise ValidationError(missing)
    ci = ConfigurationItem(**values)
    ci.attributes = clean_attributes(ci.ci_class, _present(entry.attributes or {}))
    if entry.attributes is not None:
        values["attributes"] = ci.attributes
    return ci, {name: (None, getattr(ci, name)) for name in values}


def _updated(
    entry: ItemEntry, ci: ConfigurationItem
) -> tuple[ConfigurationItem, dict[str, tuple[Any, Any]]]:
    """``ci`` with the fields given, checked as ``update_ci`` checks it; the changes."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in entry.values.items():
        if name != "number" and _differs(ci, name, value):
            changes[name] = (getattr(ci, name), value)
    if "status" in changes and changes["status"][1] not in CI_TRANSITIONS[ci.status]:
        allowed = ", ".join(sorted(CI_TRANSITIONS[ci.status]))
        raise ValidationError({"status": f"From {ci.status} an item can go to {allowed}."})
    if entry.attributes or "ci_class" in changes:
        ci_class = changes["ci_class"][1] if "ci_class" in changes else ci.ci_class
        merged = _present({**ci.attributes, **(entry.attributes or {})})
        cleaned = clean_attributes(ci_class, merged)
        if cleaned != ci.attributes:
            changes["attributes"] = (ci.attributes, cleaned)
    for name, (_old, new) in changes.items():
        setattr(ci, name, new)
    return ci, changes


def _differs(ci: ConfigurationItem, name: str, value: Any) -> bool:
    """Whether ``value`` changes field ``name``; related records compare by id (no query)."""
    if name in ("owner", "owner_group", "support_group"):
        return getattr(ci, f"{name}_id") != (value.pk if value is not None else None)
    return bool(getattr(ci, name) != value)


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes without the empty ones (``null`` or ``""`` remove an attribute)."""
    return {name: value for name, value in attributes.items() if value is not None and value != ""}


def _check_names(plans: Iterable[ItemPlan], index: IdentityIndex, problems: Problems) -> None:
    """A class's names are unique: refuse a new or renamed item taking another's name."""
    owner = {(c.ci_class, c.name): key for key, c in index.rows.items()}
    titles = {key: c.title() for key, c in index.rows.items()}
    plans = list(plans)
    for plan in plans:  # the names that planned items give up are free again
        before = index.rows.get(plan.key)
        if before is not None and (before.ci_class, before.name) != _name(plan):
            owner.pop((before.ci_class, before.name), None)
    for plan in plans:
        if plan.outcome == UNCHANGED:
            continue
        titles.setdefault(plan.key, plan.where.label())
        holder = owner.setdefault(_name(plan), plan.key)
        if holder != plan.key:
            message = f"Another {plan.ci.ci_class} is already named {plan.ci.name!r} "
            problems.add(plan.where, "name", message + f"({titles[holder]}).")


def _name(plan: ItemPlan) -> tuple[str, str]:
    return plan.ci.ci_class, plan.ci.name


def _plan_relations(
    relations: Sequence[RelationEntry], after: IdentityIndex, problems: Problems
) -> list[RelationPlan]:
    """Each relation with its ends resolved; duplicates in the file and self-relations refused."""
    planned: dict[tuple[int, str, int], RelationPlan] = {}
    for relation in relations:
        ends = [_end(relation, name, after, problems) for name in ("source", "target")]
        source, target = ends
        if source is None or target is None:
            continue
        if source == target:
            problems.add(relation.where, "target", "An item cannot be related to itself.")
            continue
        triple = (source, relation.type, target)
        if triple in planned:
            first = planned[triple].where.label()
            problems.add(relation.where, "", f"The same relation as {first}.")
            continue
        planned[triple] = RelationPlan(relation.where, source, relation.type, target)
    existing = _existing([triple for triple in planned if triple[0] > 0 and triple[2] > 0])
    for triple, plan in planned.items():
        plan.exists = triple in existing
    return list(planned.values())


def _end(
    relation: RelationEntry, name: str, after: IdentityIndex, problems: Problems
) -> int | None:
    identity = relation.source if name == "source" else relation.target
    match = after.match(identity)
    if match.problem:
        problems.add(relation.where, name, match.problem)
    elif match.candidate is None:
        problems.add(relation.where, name, f"No item has {identity.describe()}.")
    else:
        return match.candidate.key
    return None


def _existing(triples: list[tuple[int, str, int]]) -> set[tuple[int, str, int]]:
    """Which of ``triples`` (source id, type, target id) are relations already."""
    sources = sorted({source for source, _type, _target in triples})
    found: set[tuple[int, str, int]] = set()
    for chunk in chunks(sources):
        rows = Relation.objects.filter(source_id__in=chunk).order_by()
        found.update(rows.values_list("source_id", "type", "target_id"))
    return found
