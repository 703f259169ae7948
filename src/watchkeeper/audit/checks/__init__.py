"""The library of process audit checks: each a registered ``Check`` with its key, title, exact
definition, process, owner rule and a function returning what deviates now.

A check's function takes the moment of the run and returns ``Deviation`` rows: the record (its
model, id and label for people), a one-line summary and the candidate owners, most specific
first (e.g. the assignment group's manager). Checks only read: the runner (``audit.runner``)
turns deviations into findings. Each check is set-based (a few queries, whatever the number of
records); its cost on a large database is stated in ``cost``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models

from watchkeeper.accounts.choices import Role

#: The processes the checks belong to, in the order pages list them.
PROCESSES: dict[str, str] = {
    "incidents": "Incident management",
    "requests": "Request fulfilment",
    "access": "Access management",
    "operations": "Backup and recovery",
    "trail": "Audit trail",
}


@dataclass(frozen=True)
class Deviation:
    """One record that deviates from a process, as a check found it."""

    model: type[models.Model]
    object_id: str
    label: str
    summary: str
    #: Candidate owners' user ids, most specific first; ``None`` entries are skipped.
    owners: tuple[int | None, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.model._meta.label_lower, self.object_id)


Finder = Callable[[dt.datetime], Iterable[Deviation]]


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    description: str
    process: str
    owner_rule: str
    #: Who owns a finding when no candidate of the deviation is an active user.
    manager_role: str
    find: Finder = field(repr=False)
    cost: str = ""

    @property
    def process_label(self) -> str:
        return PROCESSES[self.process]

    @property
    def manager_role_label(self) -> str:
        return str(Role(self.manager_role).label)


CHECKS: dict[str, Check] = {}


def register(
    key: str,
    *,
    title: str,
    description: str,
    process: str,
    owner_rule: str,
    manager_role: str,
    cost: str = "",
) -> Callable[[Finder], Finder]:
    """Declare ``find`` a check (a decorator); keys are unique."""
    if process not in PROCESSES:
        raise ValueError(f"Unknown process {process!r} for the check {key!r}")

    def declare(find: Finder) -> Finder:
        if key in CHECKS:
            raise ValueError(f"The check {key!r} is registered twice")
        CHECKS[key] = Check(key, title, description, process, owner_rule, manager_role, find, cost)
        return find

    return declare


def all_checks() -> list[Check]:
    """Every check, by process, then in the order they were registered."""
    order = list(PROCESSES)
    return sorted(CHECKS.values(), key=lambda check: order.index(check.process))


def get(key: str) -> Check | None:
    return CHECKS.get(key)


def chunks(values: list[int], size: int = 900) -> Iterable[list[int]]:
    """``values`` in slices small enough for one ``IN (…)`` on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# The families register their checks when imported.
from watchkeeper.audit.checks import access, incidents, operations, requests, trail  # noqa: E402

__all__ = [
    "CHECKS",
    "PROCESSES",
    "Check",
    "Deviation",
    "access",
    "all_checks",
    "get",
    "incidents",
    "operations",
    "register",
    "requests",
    "trail",
]
