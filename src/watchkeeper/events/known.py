"""What one ``ingest`` call knows: looked up once for its keys instead of once per event, and
kept up to date as its events are applied; the alert history it notes, written in bulk at the
end (``core.history_bulk``: the same chains ``record_change`` would write, entry by entry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from watchkeeper.core import bulk
from watchkeeper.core.history_bulk import ENTRY_FIELDS, Change, chain
from watchkeeper.core.models import HistoryEntry, NumberSequence
from watchkeeper.core.numbering import DIGITS, next_number
from watchkeeper.events import rules
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.models import Alert, EventSource


@dataclass
class Known:
    """What one ``ingest`` call looks up once instead of per event: the keys' recent closings
    and openings (loaded for its keys, kept up to date as it goes), the CIs its resources name,
    and a block of alert numbers (the counter row stays locked until the transaction ends, so
    numbering in memory and saving the counter once is what ``next_number`` would do each time).
    """

    closings: dict[str, list[tuple[dt.datetime, Alert]]]
    first_seen: dict[str, list[dt.datetime]]
    items: dict[str, Any] = field(default_factory=dict)
    numbers: Any = None
    history: dict[int, tuple[Alert, list[Change]]] = field(default_factory=dict)

    def note(self, alert: Alert, action: str, changes: dict[str, tuple[Any, Any]]) -> None:
        """A history entry for ``alert``, written with the others at the end (``save``)."""
        change = Change(at=timezone.now(), action=action, changes=changes)
        self.history.setdefault(alert.pk, (alert, []))[1].append(change)

    @classmethod
    def load(
        cls, source: EventSource, keys: list[str], earliest: dt.datetime, flap_window: dt.timedelta
    ) -> Known:
        closings: dict[str, list[tuple[dt.datetime, Alert]]] = {}
        late = Alert.objects.filter(
            source=source, key__in=keys, status=AlertStatus.CLOSED, closed_at__gte=earliest
        )
        for alert in late:
            closings.setdefault(alert.key, []).append((alert.closed_at or earliest, alert))
        first_seen: dict[str, list[dt.datetime]] = {}
        recent = Alert.objects.filter(
            source=source, key__in=keys, first_seen__gte=earliest - flap_window
        ).values_list("key", "first_seen")
        for key, at in recent:
            first_seen.setdefault(key, []).append(at)
        return cls(closings, first_seen)

    def closed_after(self, key: str, at: dt.datetime) -> Alert | None:
        """The key's alert closed at or after ``at`` (the latest such): an event from before
        its end belongs to it."""
        ended = [(closed, alert) for closed, alert in self.closings.get(key, []) if closed >= at]
        return max(ended, key=lambda pair: pair[0], default=(at, None))[1]

    def openings_since(self, key: str, since: dt.datetime) -> int:
        return sum(1 for at in self.first_seen.get(key, []) if at >= since)

    def item_named(self, resource: str) -> Any:
        if resource not in self.items:
            self.items[resource] = rules.find_ci(resource)
        return self.items[resource]

    def next_number(self) -> str:
        if self.numbers is None:
            self.numbers = (
                NumberSequence.objects.select_for_update()
                .filter(prefix=Alert.NUMBER_PREFIX)
                .first()
                or _first_sequence()
            )
        self.numbers.last_value += 1
        return f"{Alert.NUMBER_PREFIX}{self.numbers.last_value:0{DIGITS}d}"

    def save(self, channel: str) -> None:
        """The alert counter, and the history noted, each alert's chain extended in one go."""
        if self.numbers is not None:
            self.numbers.save(update_fields=["last_value"])
        entries = [
            entry
            for alert, changes in self.history.values()
            for entry in chain(alert, changes, channel=channel)
        ]
        bulk.insert(HistoryEntry, ENTRY_FIELDS, entries)
        heads = [alert for alert, _changes in self.history.values()]
        bulk.update(Alert, ["history_length", "history_hash"], heads)


def _first_sequence() -> NumberSequence:
    next_number(Alert.NUMBER_PREFIX)  # creates the counter (locked) and takes the first number
    sequence = NumberSequence.objects.select_for_update().get(prefix=Alert.NUMBER_PREFIX)
    sequence.last_value -= 1  # given back: ``next_number`` above only made the row
    return sequence
