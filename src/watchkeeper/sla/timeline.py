"""A record's timeline for the SLA clock, read from its history (the source of truth).

Each history entry that changes the state, the hold reason, the priority or the assignment
group starts a new ``Snapshot``. The first response is the record's ``first_response_at``,
a timestamp set once, in the same transaction as the history entry that says so (imported
records carry it without such an entry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from watchkeeper.sla.clock import Snapshot

TRACKED = ("state", "hold_reason", "priority", "assignment_group")


def parse_instant(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _group_id(value: Any) -> int | None:
    """History stores a foreign key as ``{"id": …, "label": …}``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value not in (None, "") else None


def snapshots(
    entries: Iterable[tuple[dt.datetime, Mapping[str, Any]]],
    first_response_at: dt.datetime | None = None,
) -> list[Snapshot]:
    """Snapshots from ``(at, changes)`` pairs in history order (``changes`` as history stores
    them: ``{field: {"old": …, "new": …}}``), the first being the record's creation."""
    values: dict[str, Any] = {"state": "new", "hold_reason": "", "priority": None}
    values["assignment_group"] = None
    points: list[Snapshot] = []
    for at, changes in entries:
        touched = [name for name in TRACKED if name in changes]
        if points and not touched:
            continue
        for name in touched:
            values[name] = changes[name].get("new")
        points.append(_snapshot(at, values, first_response_at))
    if first_response_at is not None and points and first_response_at > points[0].at:
        # The response starts a snapshot of its own, so the response clock stops right there.
        current = max((p for p in points if p.at <= first_response_at), key=lambda p: p.at)
        points.append(
            Snapshot(
                first_response_at,
                current.state,
                current.hold_reason,
                current.priority,
                True,
                current.group,
            )
        )
        points.sort(key=lambda p: p.at)
    return points


def _snapshot(
    at: dt.datetime, values: Mapping[str, Any], responded_at: dt.datetime | None
) -> Snapshot:
    priority = values["priority"]
    return Snapshot(
        at=at,
        state=str(values["state"] or "new"),
        hold_reason=str(values["hold_reason"] or ""),
        priority=int(priority) if priority not in (None, "") else None,
        responded=responded_at is not None and responded_at <= at,
        group=_group_id(values["assignment_group"]),
    )
