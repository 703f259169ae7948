"""Items and relations as a file or an inventory describes them, read and checked field by field.

Every problem is collected with where it is (a CSV line or a JSON index) and the field, so a
report names them all at once. Values come out as the actions store them: text stripped, the
hostname in lower case, choices by value (their labels, in any case, are understood too), the
IP address normalised, people and groups as records. Which item an entry means is decided later
(``planning``), by the identity rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from pydantic import ValidationError as ShapeError

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.choices import CiClass, CiStatus, Criticality, Environment, RelationType
from watchkeeper.cmdb.identity import NUMBER, Identity, chunks, has_nul, parse_reference
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.cmdb.upsert.schemas import ItemIn

CHOICES: dict[str, type[models.TextChoices]] = {
    "ci_class": CiClass,
    "status": CiStatus,
    "environment": Environment,
    "criticality": Criticality,
}
TEXT_FIELDS = ("name", "description", "hostname", "serial_number", "ip_address")
REFERENCE_FIELDS = ("owner", "owner_group", "support_group")
#: The names problems use for fields (requests and files say "class").
FIELD_NAMES = {"ci_class": "class"}


@dataclass(frozen=True)
class Where:
    """Where an entry is: a CSV line (``csv``) or an index in a JSON list, of items or relations."""

    part: str
    index: int
    csv: bool = False

    def label(self) -> str:
        if not self.csv:
            return f"{self.part}[{self.index}]"
        return (
            f"line {self.index}" if self.part == "items" else f"relations file, line {self.index}"
        )


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in plain words. ``shape`` marks a value of the wrong type or a missing
    key (HTTP 422) rather than a broken rule (400)."""

    where: Where | None
    field: str
    problem: str
    shape: bool = False

    def text(self) -> str:
        if self.where is None:
            return f"{self.field}: {self.problem}" if self.field else self.problem
        if self.where.csv:
            place = self.where.label() + (f", {self.field}" if self.field else "")
            return f"{place}: {self.problem}"
        place = self.where.label() + (f".{self.field}" if self.field else "")
        return f"{place}: {self.problem}"


@dataclass
class ItemEntry:
    """One item as described: the fields given (``values``, by model field name) and the
    attributes to merge. ``failed`` entries still take part in matching, so that a relation to
    an item with a bad field is not also reported as a relation to an unknown item."""

    where: Where
    values: dict[str, Any]
    attributes: dict[str, Any] | None
    identity: Identity
    failed: bool = False


@dataclass
class RelationEntry:
    where: Where
    source: Identity
    type: str
    target: Identity


@dataclass
class Problems:
    """The problems found so far; ``add`` returns False so callers can write ``ok = add(...)``."""

    items: list[Problem] = field(default_factory=list)

    def in_order(self) -> list[Problem]:
        """Whole-file problems first, then items and relations by line or index."""
        parts = {"items": 0, "relations": 1}
        return sorted(
            self.items,
            key=lambda p: (
                p.where is not None,
                p.where and parts[p.where.part],
                p.where and p.where.index,
            ),
        )

    def add(self, where: Where | None, field_name: str, problem: str, shape: bool = False) -> bool:
        name = FIELD_NAMES.get(field_name, field_name)
        self.items.append(Problem(where, name, problem, shape))
        return False


@cache
def _spellings(choices: type[models.TextChoices]) -> dict[str, str]:
    """Each choice's value by its value and its label, lower case (spaces as "_" too)."""
    spellings = {}
    for value, label in choices.choices:
        for spelling in (label.lower(), label.lower().replace(" ", "_"), value):
            spellings[spelling] = str(value)
    return spellings


def _choice(choices: type[models.TextChoices], value: str) -> str | None:
    """The choice's value for ``value`` given as its value or its label, in any case."""
    return _spellings(choices).get(value.strip().lower())


def _clean_field(name: str, value: Any) -> Any:
    """One field's stored form, or ValueError saying what is wrong with it."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL (0x00) characters")
    if name in CHOICES:
        choices = ", ".join(CHOICES[name].values)
        if not value:
            raise ValueError(f"must be one of {choices}")
        found = _choice(CHOICES[name], value)
        if found is None:
            raise ValueError(f"{value[:40]!r} is not known; use one of {choices}")
        return found
    if name == "number":
        if value is None or not NUMBER.fullmatch(value.strip()):
            raise ValueError("must be a CI number like CI0001234")
        return value.strip().upper()
    if name in REFERENCE_FIELDS:
        return value.strip() if isinstance(value, str) else value  # resolved in bulk later
    if name == "restore_test_days":
        return value or None  # 0: no policy
    return _clean_text(name, value)


def _clean_text(name: str, value: str | None) -> Any:
    text = (value or "").strip()
    if name == "hostname":
        text = text.lower()
    if name == "name" and not text:
        raise ValueError("must not be empty")
    if name == "ip_address" and not text:
        return None
    model_field = ConfigurationItem._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    try:
        return model_field.clean(text, None)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None


#: Plain words for the shape errors people meet most (pydantic's own message otherwise).
SHAPE_MESSAGES = {
    "extra_forbidden": "is not a field of an item",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be a whole number (this one is far too large)",
    "dict_type": "must be an object of attribute names and values",
    "missing": "is missing",
}


def _shape_problems(where: Where, error: ShapeError, problems: Problems) -> None:
    """One problem per field (a value fitting none of a field's types fails each of them)."""
    seen: set[str] = set()
    for item in error.errors():
        location = str(item["loc"][0]) if item.get("loc") else ""
        if location not in seen:
            seen.add(location)
            message = SHAPE_MESSAGES.get(item.get("type", ""), str(item.get("msg", "is invalid")))
            problems.add(where, location, message, shape=True)


def read_item(where: Where, raw: Any, problems: Problems) -> ItemEntry | None:
    """One item, checked; ``None`` when it cannot even be told which item it means."""
    if not isinstance(raw, Mapping):
        problems.add(where, "", "must be an object with the item's fields", shape=True)
        return None
    try:
        given = ItemIn.model_validate(raw).model_dump(exclude_unset=True)
        if not given.get("number"):
            given.pop("number", None)  # null or "": no number given
    except ShapeError as error:
        _shape_problems(where, error, problems)
        return _identity_only(where, raw)
    attributes = given.pop("attributes", None)
    ok = True
    values: dict[str, Any] = {}
    for name, value in given.items():
        try:
            values[name] = _clean_field(name, value)
        except ValueError as problem:
            ok = problems.add(where, name, str(problem))
    if attributes is not None and has_nul(attributes):
        ok = problems.add(where, "attributes", "must not contain NUL (0x00) characters")
    identity = Identity.of(
        number=values.get("number"),
        serial_number=values.get("serial_number"),
        hostname=values.get("hostname"),
        ci_class=values.get("ci_class"),
        name=values.get("name"),
    )
    return ItemEntry(where, values, attributes, identity, failed=not ok)


def _identity_only(where: Where, raw: Mapping[str, Any]) -> ItemEntry | None:
    """An entry that failed its shape check, kept for matching when its identifiers are text."""
    keys = {"number": "number", "serial_number": "serial_number", "hostname": "hostname"}
    keys.update({"class": "ci_class", "name": "name"})
    values = {key: raw.get(source) for source, key in keys.items()}
    if not all(value is None or isinstance(value, str) for value in values.values()):
        return None
    if any(has_nul(value) for value in values.values()):
        return None
    values["ci_class"] = _choice(CiClass, values["ci_class"] or "") or ""  # unknown: any class
    return ItemEntry(where, {}, None, Identity.of(**values), failed=True)


def read_items(rows: Iterable[tuple[Where, Any]], problems: Problems) -> list[ItemEntry]:
    entries = [entry for where, raw in rows if (entry := read_item(where, raw, problems))]
    _resolve_people_and_groups(entries, problems)
    return entries


def _resolve_people_and_groups(entries: Sequence[ItemEntry], problems: Problems) -> None:
    """Usernames and group names (or ids) become records, in a few queries for all entries."""
    usernames = {e.values["owner"] for e in entries if e.values.get("owner")}
    names = {e.values[f] for e in entries for f in REFERENCE_FIELDS[1:] if e.values.get(f)}
    users = {u.username: u for chunk in chunks(sorted(usernames)) for u in _users(chunk)}
    text = sorted(str(name) for name in names if isinstance(name, str))
    ids = sorted(int(name) for name in names if isinstance(name, int) and 0 < name < 2**63)
    groups: dict[Any, SupportGroup] = {}
    for chunk in chunks(text):
        groups.update((g.name, g) for g in SupportGroup.objects.filter(name__in=chunk))
    for chunk in chunks(ids):
        groups.update((g.pk, g) for g in SupportGroup.objects.filter(pk__in=chunk))
    for entry in entries:
        for name in (name for name in REFERENCE_FIELDS if name in entry.values):
            value = entry.values[name]
            found = users.get(value) if name == "owner" else groups.get(value)
            if not value:
                entry.values[name] = None  # given empty: none
            elif found is None:
                what = "user" if name == "owner" else "support group"
                problems.add(entry.where, name, f"There is no {what} {value!r}.")
                entry.failed = True
            else:
                entry.values[name] = found


def _users(usernames: list[str]) -> Iterable[User]:
    return User.objects.filter(username__in=usernames)


def read_relation(where: Where, raw: Any, problems: Problems) -> RelationEntry | None:
    """One relation, ``source <type> target``; ``None`` (with its problems) if unreadable."""
    if not isinstance(raw, Mapping):
        problems.add(where, "", "must be an object with source, type and target", shape=True)
        return None
    unknown = sorted(str(key) for key in raw if key not in ("source", "type", "target"))
    if unknown:
        problems.add(where, unknown[0], "is not a relation field (source, type, target)", True)
        return None
    ends: dict[str, Identity] = {}
    ok = True
    for end in ("source", "target"):
        if raw.get(end) in (None, ""):
            ok = problems.add(where, end, "is missing", shape=True)
            continue
        try:
            ends[end] = parse_reference(raw[end])
        except ValueError as problem:
            ok = problems.add(where, end, str(problem))
    kind = raw.get("type")
    relation_type = _choice(RelationType, kind) if isinstance(kind, str) else None
    if relation_type is None and not has_nul(kind):
        shown = str(kind)[:40] if kind is not None else "nothing"
        choices = ", ".join(RelationType.values)
        ok = problems.add(where, "type", f"{shown!r} is not a relation type; use one of {choices}")
    elif relation_type is None:
        ok = problems.add(where, "type", "must not contain NUL (0x00) characters")
    if not ok or relation_type is None:
        return None
    return RelationEntry(where, ends["source"], relation_type, ends["target"])


def read_relations(rows: Iterable[tuple[Where, Any]], problems: Problems) -> list[RelationEntry]:
    return [entry for where, raw in rows if (entry := read_relation(where, raw, problems))]
