"""Walking the relation graph breadth-first, one query per level and direction, cycles included.

Two walks matter: *impact* follows the way a failure spreads (from a server to what runs on it,
up to the business services), and the *service map* follows the opposite way, from a service
down to everything it rests on. Each reached item is kept once, at its shortest distance, with
the item and relation it was reached through, so a result can say *why* an item is affected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from watchkeeper.cmdb.choices import FAILURE_FLOWS_TO_SOURCE, FAILURE_FLOWS_TO_TARGET
from watchkeeper.cmdb.models import Relation

#: Ids per ``IN (...)`` list: well below SQLite's and PostgreSQL's parameter limits.
CHUNK = 2000

#: One step: (reached id, reached from id, relation type, reached item's class) for a frontier.
Step = Callable[[list[int]], Iterable[tuple[int, int, str, str]]]


@dataclass(frozen=True)
class Reached:
    ci_id: int
    depth: int
    via_id: int
    relation: str
    ci_class: str


def chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def failure_spreads(frontier: list[int]) -> Iterator[tuple[int, int, str, str]]:
    """The items harmed when any of ``frontier`` fails."""
    relations = Relation.objects
    for chunk in chunks(frontier):
        yield from relations.filter(
            target_id__in=chunk, type__in=FAILURE_FLOWS_TO_SOURCE
        ).values_list("source_id", "target_id", "type", "source__ci_class")
        yield from relations.filter(
            source_id__in=chunk, type__in=FAILURE_FLOWS_TO_TARGET
        ).values_list("target_id", "source_id", "type", "target__ci_class")


def rests_on(frontier: list[int]) -> Iterator[tuple[int, int, str, str]]:
    """The items that ``frontier`` needs to work (the opposite of ``failure_spreads``)."""
    relations = Relation.objects
    for chunk in chunks(frontier):
        yield from relations.filter(
            source_id__in=chunk, type__in=FAILURE_FLOWS_TO_SOURCE
        ).values_list("target_id", "source_id", "type", "target__ci_class")
        yield from relations.filter(
            target_id__in=chunk, type__in=FAILURE_FLOWS_TO_TARGET
        ).values_list("source_id", "target_id", "type", "source__ci_class")


def walk(start_id: int, step: Step, *, limit: int) -> tuple[dict[int, Reached], bool]:
    """Everything reachable from ``start_id`` (not itself), nearest first; stops after ``limit``
    items and then says so (the second value)."""
    reached: dict[int, Reached] = {}
    seen, frontier, depth = {start_id}, [start_id], 0
    while frontier:
        depth += 1
        next_frontier: list[int] = []
        for ci_id, via_id, relation, ci_class in step(frontier):
            if ci_id in seen:
                continue
            if len(reached) >= limit:
                return reached, True
            seen.add(ci_id)
            reached[ci_id] = Reached(ci_id, depth, via_id, relation, ci_class)
            next_frontier.append(ci_id)
        frontier = next_frontier
    return reached, False
