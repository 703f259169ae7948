"""The event processor: moves the spool's entries (``events.spool``) into alerts, in order.

``process_once`` takes the waiting entries (about ``EVENTS_PER_TRANSACTION`` events), ingests each
source's events in one ``ingest`` call — a thousand single-event requests for one alert become one
count update — and advances the spool's mark, all in one transaction; the entries are forgotten
after it commits. An entry that cannot be processed (its source was deleted, a value the database
refuses) is set aside with its error instead of blocking the queue; a database that is down stops
the round, which is tried again.

``run`` loops until stopped: ``watchkeeper events process``, which ``watchkeeper serve`` starts.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DataError, IntegrityError, close_old_connections, transaction

from watchkeeper.events import spool
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import EventSource, SpoolMark

log = logging.getLogger(__name__)
#: Events processed per transaction: larger rounds merge more repeats, smaller ones hold
#: SQLite's one writer for less time (about a second at this size).
EVENTS_PER_TRANSACTION = 2000
IDLE_SECONDS = 0.2
RETRY_SECONDS = 5.0
#: What one bad entry can raise; anything else (the database is down) stops the round.
BAD_ENTRY = (ObjectDoesNotExist, ValidationError, IntegrityError, DataError, ValueError, TypeError)


def _ingest(entries: list[spool.Entry]) -> None:
    """Each source's events of ``entries``, in one ``ingest`` per source."""
    by_source = defaultdict(list)
    for entry in entries:
        by_source[entry.source_id].extend(entry.events)
    for source_id, events in by_source.items():
        ingest(EventSource.objects.get(pk=source_id), events)


def _ingest_alone(entries: list[spool.Entry]) -> dict[int, str]:
    """Each entry in its own savepoint; the errors of those that failed, by entry id."""
    failures = {}
    for entry in entries:
        try:
            with transaction.atomic():
                _ingest([entry])
        except BAD_ENTRY as error:
            failures[entry.id] = f"{type(error).__name__}: {error}"[:2000]
            log.error("Event spool entry %s set aside: %s", entry.id, failures[entry.id])
    return failures


def process_once(limit_events: int = EVENTS_PER_TRANSACTION) -> int:
    """Process the next waiting entries; how many events they held (0: nothing was waiting)."""
    if not spool.waiting()[0]:
        return 0  # idle: not even a (write) transaction
    name = spool.identity()
    failures: dict[int, str] = {}
    with transaction.atomic():
        SpoolMark.objects.get_or_create(spool=name)
        mark = SpoolMark.objects.select_for_update().get(spool=name)
        entries = spool.after(mark.last_entry, limit_events)
        if entries:  # none: processed, but not forgotten before a stop
            try:
                with transaction.atomic():
                    _ingest(entries)
            except BAD_ENTRY:
                failures = _ingest_alone(entries)
            mark.last_entry = entries[-1].id
            mark.save(update_fields=["last_entry"])
    spool.forget(mark.last_entry, failures)
    return sum(len(entry.events) for entry in entries)


def drain() -> int:
    """Process everything waiting; how many events (tests and ``--once``)."""
    total = 0
    while processed := process_once():
        total += processed
    return total


def run(stop: threading.Event) -> None:
    """Process until ``stop`` is set. After a round that found less than a full load it waits a
    moment, so that in a storm the spool fills and each round merges more repeats; longer after
    a failure."""
    while not stop.is_set():
        try:
            processed = process_once()
        except Exception:
            log.exception("Event processing failed; trying again in %s s", RETRY_SECONDS)
            close_old_connections()
            stop.wait(RETRY_SECONDS)
            continue
        if not processed:
            close_old_connections()
        if processed < EVENTS_PER_TRANSACTION:
            stop.wait(IDLE_SECONDS)
