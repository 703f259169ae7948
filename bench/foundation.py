"""The foundation's benchmarks: record creation, history verification, search, API calls."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from django.test import Client

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.history import verify_history
from watchkeeper.core.models import HistoryEntry
from watchkeeper.core.search import search

Timer = Callable[[Callable[[], object]], float]
BATCH = 200
QUERIES = ["password reset", "laptop", "access folder", "printer toner", "vpn connect", "outlook"]


def ticket_texts(path: Path, limit: int) -> list[tuple[str, str]]:
    if not path.exists():
        return [(f"item {n}", f"generated description {n} laptop vpn") for n in range(limit)]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return [(row["title"] or row["body"][:40], row["body"]) for row in rows]


def run_all(tickets: Path, timer: Timer) -> Iterator[tuple[str, str]]:
    counter = itertools.count()
    texts = ticket_texts(tickets, 5431)

    def create_batch() -> None:
        for _ in range(BATCH):
            title, body = texts[next(counter) % len(texts)]
            create_ci(
                name=f"{title[:150]} #{next(counter)}",
                ci_class=CiClass.APPLICATION,
                description=body,
                acting_user=None,
            )

    seconds = timer(create_batch)
    yield (
        "create a record (number + history + search index), one transaction each",
        f"{BATCH / seconds:,.0f} records/s",
    )
    while ConfigurationItem.objects.count() < len(texts):
        create_batch()
    entries = HistoryEntry.objects.count()
    seconds = timer(verify_history)
    yield f"`audit verify` over {entries:,} history entries", f"{seconds:.2f} s"

    records = ConfigurationItem.objects.all()
    seconds = timer(lambda: [list(search(records, query)[:25]) for query in QUERIES])
    yield (
        f"search {len(QUERIES)} queries over {records.count():,} ticket texts, first 25 hits",
        f"{seconds / len(QUERIES) * 1000:.1f} ms/query",
    )

    user = actions.create_user(username="bench", roles=[Role.AGENT], acting_user=None)
    _, secret = actions.create_token(user, name="bench", acting_user=None)
    client = Client(SERVER_NAME="localhost", headers={"Authorization": f"Bearer {secret}"})
    calls = 200

    def call_me() -> None:
        for _ in range(calls):
            response = client.get("/api/v1/me")
            assert response.status_code == 200, response.content

    seconds = timer(call_me)
    yield (
        "GET /api/v1/me with a token (in-process, no network)",
        f"{calls / seconds:,.0f} requests/s",
    )
