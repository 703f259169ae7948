"""The events spool: a local, durable queue between the ingestion API and the event processor.

The API validates a request, appends its normalised events here as one entry and answers 202;
``events.processor`` moves entries into alerts in order. Acceptance costs one small insert, so a
storm of events (the moment a core switch fails) is taken at once instead of waiting for alert
work, and nothing is lost while the processor catches up: an entry is forgotten only after the
transaction that processed it has committed.

The spool is its own SQLite file (``EVENTS_SPOOL``, default ``<data>/events-spool.sqlite3``, WAL):
the main database's one writer is not shared with acceptance. Each web host has its own spool and
processor; the spool's identity names its mark in the main database (``SpoolMark``), the last
entry processed, which makes processing exactly-once even when the processor stops between its
commit and forgetting the entries. Entry ids are never reused (AUTOINCREMENT).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from watchkeeper.events.ingest import Incoming

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source_id INTEGER NOT NULL,
    received_at TEXT NOT NULL, count INTEGER NOT NULL, events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failed (
    id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, received_at TEXT NOT NULL,
    count INTEGER NOT NULL, events TEXT NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL);
"""
#: The fields of an event kept in its entry (its received_at is the entry's).
KEPT = [name.name for name in dataclasses.fields(Incoming) if name.name != "received_at"]
#: How long a process trusts its count of waiting events (the overload check).
BACKLOG_TTL_SECONDS = 1.0


@dataclass(frozen=True)
class Entry:
    """One accepted request: its source and its events, as received."""

    id: int
    source_id: int
    received_at: dt.datetime
    events: list[Incoming]


_local = threading.local()
_backlog: dict[str, tuple[float, int]] = {}


def _path() -> str:
    return str(settings.EVENTS_SPOOL)


def _connection() -> sqlite3.Connection:
    """This thread's connection to the configured spool (made, with its tables, on first use)."""
    path = _path()
    connections: dict[str, sqlite3.Connection] = _local.__dict__.setdefault("connections", {})
    connection = connections.get(path)
    if connection is None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
        connection.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('identity', ?)", (uuid.uuid4().hex,)
        )
        connections[path] = connection
    return connection


def identity() -> str:
    """This spool's name, made when the file was (a new file is a new spool)."""
    row = _connection().execute("SELECT value FROM meta WHERE name = 'identity'").fetchone()
    return str(row[0])


def _encode(event: Incoming) -> dict[str, Any]:
    fields = {name: getattr(event, name) for name in KEPT}
    fields["occurred_at"] = event.occurred_at.isoformat() if event.occurred_at else None
    return fields


def _decode(fields: dict[str, Any], received_at: dt.datetime) -> Incoming:
    occurred_at = fields.pop("occurred_at")
    parsed = dt.datetime.fromisoformat(occurred_at) if occurred_at else None
    return Incoming(**fields, occurred_at=parsed, received_at=received_at)


def append(source_id: int, events: list[Incoming], received_at: dt.datetime) -> int:
    """Keep ``events`` (one request's) durably; the entry's id."""
    body = json.dumps([_encode(event) for event in events], default=str, separators=(",", ":"))
    cursor = _connection().execute(
        "INSERT INTO entries (source_id, received_at, count, events) VALUES (?, ?, ?, ?)",
        (source_id, received_at.isoformat(), len(events), body),
    )
    return int(cursor.lastrowid or 0)


def after(mark: int, limit_events: int) -> list[Entry]:
    """Entries after ``mark`` in order, as many as hold about ``limit_events`` events (at least
    one entry)."""
    rows = _connection().execute(
        "SELECT id, source_id, received_at, count, events FROM entries WHERE id > ? ORDER BY id "
        "LIMIT ?",
        (mark, limit_events),
    )
    entries: list[Entry] = []
    total = 0
    for entry_id, source_id, received_at, count, body in rows:
        if entries and total + count > limit_events:
            break
        at = dt.datetime.fromisoformat(received_at)
        events = [_decode(fields, at) for fields in json.loads(body)]
        entries.append(Entry(entry_id, source_id, at, events))
        total += count
    return entries


def forget(upto: int, failures: dict[int, str] | None = None) -> None:
    """Drop entries up to ``upto`` (processed); those in ``failures`` are kept aside with their
    error, for ``watchkeeper events spool`` to show and retry."""
    connection = _connection()
    failed_at = dt.datetime.now(dt.UTC).isoformat()
    connection.execute("BEGIN IMMEDIATE")
    try:
        for entry_id, error in (failures or {}).items():
            connection.execute(
                "INSERT OR REPLACE INTO failed SELECT id, source_id, received_at, count, events, "
                "?, ? FROM entries WHERE id = ?",
                (error, failed_at, entry_id),
            )
        connection.execute("DELETE FROM entries WHERE id <= ?", (upto,))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def waiting() -> tuple[int, int]:
    """Entries and events waiting to be processed."""
    row = _connection().execute("SELECT COUNT(*), COALESCE(SUM(count), 0) FROM entries").fetchone()
    return int(row[0]), int(row[1])


def failed() -> list[tuple[int, int, str, str]]:
    """Entries that could not be processed: id, events, error, when."""
    rows = _connection().execute("SELECT id, count, error, failed_at FROM failed ORDER BY id")
    return [(int(i), int(count), str(error), str(at)) for i, count, error, at in rows]


def retry_failed() -> int:
    """Put the failed entries back in the queue (as new entries, after those waiting)."""
    connection = _connection()
    connection.execute("BEGIN IMMEDIATE")
    try:
        cursor = connection.execute(
            "INSERT INTO entries (source_id, received_at, count, events) "
            "SELECT source_id, received_at, count, events FROM failed ORDER BY id"
        )
        connection.execute("DELETE FROM failed")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return int(cursor.rowcount)


def overloaded() -> bool:
    """More events waiting than ``EVENTS_MAX_BACKLOG``: the API answers 429 until the processor
    catches up (counted at most once a second per process)."""
    path, now = _path(), time.monotonic()
    checked_at, events = _backlog.get(path, (0.0, 0))
    if now - checked_at > BACKLOG_TTL_SECONDS:
        events = waiting()[1]
        _backlog[path] = (now, events)
    return events > int(settings.EVENTS_MAX_BACKLOG)


def close() -> None:
    """Close this thread's spool connections (tests switch spools)."""
    for connection in _local.__dict__.pop("connections", {}).values():
        connection.close()
    _backlog.clear()
