"""Is this the same configuration item? The one rule that import and discovery both follow.

An item in a file or an inventory, and an item a relation names, is matched to the CMDB by its
identifiers, strongest first:

1. ``number`` (``CI0001234``), when given, names that item and nothing else; an unknown number
   is an error (numbers are the CMDB's to hand out, never a file's).
2. ``serial_number`` (non-empty, exact),
3. ``hostname`` (case-insensitive: it is stored in lower case),
4. ``class`` and ``name`` together (they are unique together); a name without a class matches
   that name in any class.

Serial numbers and hostnames match within the description's class when it gives one, so a
database that shares its host's name is not mistaken for the server. The identifiers the
description gives are tried in that order and the first that finds an item decides: a weaker
one is tried only when the stronger ones find nothing, so a server first reported by hostname
keeps its identity when a later inventory also sends its serial number. An item found by a
weaker identifier whose serial number is set to a *different* value is another machine, never a
match. An identifier that finds more than one item is ambiguous, and that is an error naming
the items: the rule never guesses. Nothing found means a new item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem

NUMBER = re.compile(r"CI\d{1,12}", flags=re.IGNORECASE)
#: Values per ``IN (...)`` list: well below SQLite's and PostgreSQL's parameter limits.
CHUNK = 2000
#: The weaker identifiers in the order they are tried, with the words errors use for them.
KINDS = (("serial_number", "serial number"), ("hostname", "hostname"), ("name", "name"))
#: What a reference object may hold ("class" is the class's name, as in items).
REFERENCE_KEYS = frozenset({"number", "serial_number", "hostname", "class", "name"})
CLASSES = frozenset(CiClass.values)


@dataclass(frozen=True)
class Identity:
    """What a description says about which item it means (empty strings for not given)."""

    number: str = ""
    serial_number: str = ""
    hostname: str = ""
    ci_class: str = ""
    name: str = ""

    @classmethod
    def of(cls, **values: Any) -> Identity:
        """Normalised as the actions store them: stripped, the hostname in lower case."""
        text = {key: str(value or "").strip() for key, value in values.items()}
        return cls(
            number=text.get("number", "").upper(),
            serial_number=text.get("serial_number", ""),
            hostname=text.get("hostname", "").lower(),
            ci_class=text.get("ci_class", ""),
            name=text.get("name", ""),
        )

    def value(self, kind: str) -> str:
        return str(getattr(self, kind))

    def is_empty(self) -> bool:
        return not (self.number or self.serial_number or self.hostname or self.name)

    def describe(self) -> str:
        """The identifiers given, for messages: ``hostname 'web-01', class server``."""
        parts = [f"number {self.number}"] if self.number else []
        parts += [f"{label} {self.value(kind)!r}" for kind, label in KINDS if self.value(kind)]
        if self.ci_class:
            parts.append(f"class {self.ci_class}")
        return ", ".join(parts) or "no identifier"


@dataclass(frozen=True)
class Candidate:
    """An item as far as identity goes. ``key`` is its id, or a negative stand-in for an item
    that a file or an inventory is about to create (``label`` then says which)."""

    key: int
    number: str
    ci_class: str
    name: str
    hostname: str
    serial_number: str
    label: str = ""

    def title(self) -> str:
        return self.label or self.number


@dataclass(frozen=True)
class Match:
    """The item the rule found (``None``: a new item), or the ``problem`` that stopped it."""

    candidate: Candidate | None
    problem: str = ""
    field: str = ""


def _accepts(identity: Identity, candidate: Candidate, kind: str) -> bool:
    """Whether ``candidate``, found by ``kind``, is the item ``identity`` means. (A candidate
    without a class is a described item whose class was not understood: it may be any.)"""
    if identity.ci_class and candidate.ci_class not in ("", identity.ci_class):
        return False
    if kind != "serial_number" and identity.serial_number and candidate.serial_number:
        return candidate.serial_number == identity.serial_number  # else: another machine
    return True


@dataclass
class IdentityIndex:
    """Items by identifier, for matching many descriptions with few queries."""

    rows: dict[int, Candidate] = field(default_factory=dict)
    keys: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def add(self, candidate: Candidate) -> None:
        """Add ``candidate``, replacing what the index knew of the same item."""
        self.rows[candidate.key] = candidate
        for key in (
            ("number", candidate.number),
            ("serial_number", candidate.serial_number),
            ("hostname", candidate.hostname),
            ("name", candidate.name),
        ):
            if key[1]:
                self.keys.setdefault(key, set()).add(candidate.key)

    def copy(self) -> IdentityIndex:
        return IdentityIndex(dict(self.rows), {key: set(ids) for key, ids in self.keys.items()})

    def lookup(self, kind: str, value: str) -> list[Candidate]:
        """The items whose ``kind`` is ``value`` now (entries replaced since are skipped)."""
        found = (self.rows[key] for key in self.keys.get((kind, value), ()))
        return sorted((c for c in found if str(getattr(c, kind)) == value), key=lambda c: c.key)

    def match(self, identity: Identity) -> Match:
        """The rule (see the module's docstring) applied to ``identity``."""
        if identity.number:
            found = self.lookup("number", identity.number)
            if not found:
                return Match(None, f"No configuration item {identity.number}.", "number")
            return Match(found[0])
        for kind, label in KINDS:
            value = identity.value(kind)
            if not value:
                continue
            hits = [c for c in self.lookup(kind, value) if _accepts(identity, c, kind)]
            if len(hits) == 1:
                return Match(hits[0])
            if hits:
                titles = ", ".join(hit.title() for hit in hits[:5])
                problem = f"The {label} {value!r} matches {len(hits)} items ({titles})"
                problem += "; give the number or the class to say which."
                return Match(None, problem, "class" if kind == "name" else kind)
        return Match(None)

    @classmethod
    def load(cls, identities: Iterable[Identity]) -> IdentityIndex:
        """The CMDB's items that any of ``identities`` could mean, in a few chunked queries."""
        wanted: dict[str, set[str]] = {"number": set(), **{kind: set() for kind, _ in KINDS}}
        for identity in identities:
            for kind in wanted:
                if value := identity.value(kind):
                    wanted[kind].add(value)
        index = cls()
        columns = ("pk", "number", "ci_class", "name", "hostname", "serial_number")
        for kind, values in wanted.items():
            for chunk in chunks(sorted(values)):
                rows = ConfigurationItem.objects.filter(**{f"{kind}__in": chunk})
                for row in rows.order_by().values_list(*columns):
                    index.add(Candidate(*row))
        return index


def chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def has_nul(value: Any) -> bool:
    """Whether ``value`` (text, or JSON's lists and objects) holds a NUL character anywhere:
    PostgreSQL cannot store one, and SQLite would keep it silently."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def find_by_identity(identity: Identity) -> ConfigurationItem | None:
    """The item ``identity`` means, ``None`` for none; ``ValueError`` says why it cannot tell."""
    match = IdentityIndex.load([identity]).match(identity)
    if match.problem:
        raise ValueError(match.problem)
    if match.candidate is None:
        return None
    return ConfigurationItem.objects.get(pk=match.candidate.key)


def parse_reference(reference: Any) -> Identity:
    """A relation's end as a file or an inventory names it; ``ValueError`` if it cannot.

    Text: ``CI0001234``, ``serial:ABC123``, ``hostname:web-01``, ``<class>:<name>``
    (``server:web-01``) or a plain name. An object: any of ``number``, ``serial_number``,
    ``hostname``, ``class``, ``name``.
    """
    if has_nul(reference):
        raise ValueError("must not contain NUL (0x00) characters")
    if isinstance(reference, str):
        return _parse_text(reference)
    if isinstance(reference, dict):
        return _parse_object(reference)
    raise ValueError('must be a CI number, a name, or an object such as {"hostname": "web-01"}')


def _parse_text(text: str) -> Identity:
    text = text.strip()
    if not text:
        raise ValueError("must name an item")
    if NUMBER.fullmatch(text):
        return Identity.of(number=text)
    prefix, colon, rest = text.partition(":")
    prefix = prefix.strip().lower()
    if colon and rest.strip():
        if prefix in ("serial", "serial_number"):
            return Identity.of(serial_number=rest)
        if prefix == "hostname":
            return Identity.of(hostname=rest)
        if prefix in CLASSES:
            return Identity.of(ci_class=prefix, name=rest)
    return Identity.of(name=text)


def _parse_object(values: dict[Any, Any]) -> Identity:
    unknown = sorted(str(key) for key in values if key not in REFERENCE_KEYS)
    if unknown:
        keys = ", ".join(sorted(REFERENCE_KEYS))
        raise ValueError(f"{unknown[0]!r} is not an identifier; use {keys}")
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be text")
    ci_class = str(values.get("class") or "").strip()
    if ci_class and ci_class not in CLASSES:
        raise ValueError(f"{ci_class!r} is not a class; use one of {', '.join(CiClass.values)}")
    identity = Identity.of(
        number=values.get("number"),
        serial_number=values.get("serial_number"),
        hostname=values.get("hostname"),
        ci_class=ci_class,
        name=values.get("name"),
    )
    if identity.is_empty():
        raise ValueError("must give a number, serial_number, hostname or name")
    if identity.number and not NUMBER.fullmatch(identity.number):
        raise ValueError(f"{identity.number[:32]!r} is not a CI number like CI0001234")
    return identity
