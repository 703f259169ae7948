"""Seed incidents in bulk for the benchmarks: ``python -m bench.seed_incidents --to 100000``.

The organisation (the demo's groups, people and services, a few hundred callers, more resolvers,
a category tree) is made through the actions. The incidents are written with ``bulk_create`` in
batches, each with a hash-chained history (``created`` and one to three further entries such as
``assigned``, ``work_started``, ``resolved``, ``closed``, computed exactly as
``core.history.record_change`` does) and its search entry; the INC number sequence is advanced
past them. Texts are the real help-desk tickets of ``shared/data/endava-it-tickets`` (read in
place, never copied), or generated when that file is absent.

Seeding runs with the database in a fast, non-durable mode (SQLite ``synchronous=OFF``,
PostgreSQL ``synchronous_commit=off``): a crash while seeding loses the seed, nothing else.
Re-running tops up to the requested size. Prints one JSON line with what the load test needs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICKETS = (
    Path(__file__).resolve().parents[2] / "shared/data/endava-it-tickets/all_tickets_first5431.csv"
)
PASSWORD = "bench-password-not-secret"  # noqa: S105 (a throwaway benchmark database)
CALLERS = 300
RESOLVERS_PER_GROUP = 6
BATCH = 5000
SPAN = dt.timedelta(days=730)
#: With ``open_only`` the incidents are a backlog: created over the last 30 days, all open.
OPEN_SPAN = dt.timedelta(days=30)

CATEGORIES = {
    "Hardware": ["Laptop", "Desktop", "Printer", "Monitor", "Phone"],
    "Software": ["E-mail client", "Office suite", "ERP client", "Browser", "Installation"],
    "Network": ["VPN", "Wi-Fi", "LAN", "Firewall"],
    "Access": ["Password reset", "Permissions", "New account", "Shared folder"],
    "Database": ["Performance", "Restore", "Replication"],
}
CATEGORY_GROUPS = {
    "Hardware": "Service Desk",
    "Software": "Applications",
    "Network": "Network",
    "Access": "Service Desk",
    "Database": "Database",
}


def ticket_texts(path: Path = TICKETS) -> list[tuple[str, str]]:
    """(short description, description) pairs from the ticket file, or generated ones."""
    if not path.exists():
        words = ["laptop", "vpn", "printer", "outlook", "password", "access", "folder", "slow"]
        rng = random.Random(7)  # noqa: S311 (not for security)
        return [
            (f"{rng.choice(words)} {rng.choice(words)} issue", " ".join(rng.choices(words, k=30)))
            for _ in range(5000)
        ]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [((row["title"] or row["body"][:60]).strip()[:160], row["body"]) for row in rows]


@dataclass
class Organisation:
    admin: Any
    agent: Any
    groups: list[Any]
    members: dict[int, list[Any]]
    callers: list[Any]
    categories: list[tuple[Any, Any]]
    services: list[Any]
    labels: dict[tuple[str, int], Any] = field(default_factory=dict)


def build_organisation() -> Organisation:
    """The demo organisation plus callers, resolvers and categories; made once, reused after."""
    from watchkeeper.accounts import actions as accounts
    from watchkeeper.accounts.choices import Role
    from watchkeeper.accounts.models import SupportGroup, User
    from watchkeeper.cmdb.choices import CiClass
    from watchkeeper.cmdb.models import ConfigurationItem
    from watchkeeper.core.choices import Channel
    from watchkeeper.core.demo import is_empty, load_demo
    from watchkeeper.incidents.models import Category

    if is_empty():
        admin, _ = load_demo(PASSWORD)
        for number in range(CALLERS):
            accounts.create_user(
                username=f"caller{number:03d}",
                email=f"caller{number:03d}@example.org",
                first_name=f"Caller{number:03d}",
                roles=[Role.REQUESTER],
                acting_user=admin,
                channel=Channel.CLI,
            )
        for group in SupportGroup.objects.all():
            extra = [
                accounts.create_user(
                    username=f"{group.name.lower().replace(' ', '')}{number}",
                    roles=[Role.RESOLVER],
                    acting_user=admin,
                    channel=Channel.CLI,
                )
                for number in range(RESOLVERS_PER_GROUP)
            ]
            accounts.set_members(
                group, [*group.members.all(), *extra], acting_user=admin, channel=Channel.CLI
            )
        groups_by_name = {group.name: group for group in SupportGroup.objects.all()}
        for name, children in CATEGORIES.items():
            parent, _ = Category.objects.get_or_create(
                name=name,
                parent=None,
                defaults={"default_group": groups_by_name[CATEGORY_GROUPS[name]]},
            )
            for child in children:
                Category.objects.get_or_create(name=child, parent=parent)
    groups = list(SupportGroup.objects.order_by("pk"))
    return Organisation(
        admin=User.objects.get(username="admin"),
        agent=User.objects.get(username="adam"),
        groups=groups,
        members={group.pk: list(group.members.order_by("pk")) for group in groups},
        callers=list(User.objects.filter(username__startswith="caller").order_by("pk")),
        categories=[
            (child.parent, child)
            for child in Category.objects.filter(parent__isnull=False).select_related("parent")
        ],
        services=list(ConfigurationItem.objects.filter(ci_class=CiClass.BUSINESS_SERVICE)),
    )


@contextmanager
def fast_mode() -> Iterator[None]:
    """Non-durable commits and bigger caches while seeding; the settings come back after."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute("PRAGMA temp_store=MEMORY")
        else:
            cursor.execute("SET synchronous_commit TO off")
            cursor.execute("SET work_mem TO '64MB'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("ANALYZE")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                cursor.execute("SET synchronous_commit TO on")
                for table in ("incidents_incident", "core_historyentry", "core_searchentry"):
                    cursor.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def explicit_timestamps(model: Any) -> Iterator[None]:
    """Let ``bulk_create`` keep the ``created_at``/``updated_at`` the seed sets."""
    fields = [model._meta.get_field("created_at"), model._meta.get_field("updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class IncidentFactory:
    """Builds one incident with its history chain and search entry, as the actions would."""

    def __init__(
        self,
        org: Organisation,
        texts: list[tuple[str, str]],
        seed: int,
        *,
        open_only: bool = False,
        closed_only: bool = False,
    ) -> None:
        from django.contrib.contenttypes.models import ContentType

        from watchkeeper.incidents.models import Incident

        self.org, self.texts = org, texts
        self.open_only, self.closed_only = open_only, closed_only
        self.rng = random.Random(seed)  # noqa: S311 (not for security)
        self.content_type = ContentType.objects.get_for_model(Incident)

    def label(self, obj: Any) -> Any:
        from watchkeeper.core.history import jsonable

        if obj is None:
            return None
        key = (obj._meta.label, obj.pk)
        if key not in self.org.labels:
            self.org.labels[key] = jsonable(obj)
        return self.org.labels[key]

    def build(self, pk: int, number: str, created: dt.datetime) -> tuple[Any, list[Any], Any]:
        from watchkeeper.core.models import SearchEntry
        from watchkeeper.incidents.choices import ITIL_MATRIX
        from watchkeeper.incidents.models import Incident

        rng, org = self.rng, self.org
        title, body = self.texts[pk % len(self.texts)]
        caller = rng.choice(org.callers)
        category, subcategory = rng.choice(org.categories)
        by_agent = rng.random() < 0.5
        impact, urgency = rng.choice((1, 2, 3, 3, 3)), rng.choice((1, 2, 2, 3, 3))
        values: dict[str, Any] = {
            "caller": caller,
            "short_description": title or "(no title)",
            "channel": "phone" if by_agent else "portal",
            "state": "new",
            "priority": ITIL_MATRIX[(impact, urgency)],
            "description": body,
            "category": category,
            "subcategory": subcategory,
            "service": rng.choice(org.services) if rng.random() < 0.6 else None,
        }
        chain = Chain(self, pk, created)
        chain.add(
            "created",
            org.agent if by_agent else caller,
            values["channel"],
            {name: (None, value) for name, value in values.items()},
        )
        values.update(impact=impact, urgency=urgency, opened_by=org.agent if by_agent else caller)
        values["assignment_group"] = next(
            (g for g in org.groups if g.pk == category.default_group_id), org.groups[0]
        )
        values["reassignment_count"] = 0
        self.progress(chain, values, created)
        incident = Incident(
            id=pk,
            number=number,
            created_at=created,
            updated_at=chain.at,
            version=len(chain.entries),
            history_length=len(chain.entries),
            history_hash=chain.entries[-1].hash,
            **values,
        )
        text = "\n".join([number, values["short_description"], body])
        search = SearchEntry.for_record(self.content_type.pk, pk, text)
        return incident, chain.entries, search

    def progress(self, chain: Chain, values: dict[str, Any], created: dt.datetime) -> None:
        """One to three further entries; older incidents are mostly closed."""
        rng, org = self.rng, self.org
        age = (dt.datetime.now(dt.UTC) - created) / SPAN
        group = rng.choice(org.groups)
        assignee = rng.choice(org.members[group.pk])
        changes: dict[str, tuple[Any, Any]] = {}
        if group.pk != values["assignment_group"].pk:
            changes["assignment_group"] = (values["assignment_group"], group)
            values["reassignment_count"] = 1
        changes["assignee"] = (None, assignee)
        changes["assigned_at"] = (None, chain.next_at())
        chain.add("assigned", org.agent, "web", changes, at=changes["assigned_at"][1])
        values.update(assignment_group=group, assignee=assignee, assigned_at=chain.at)
        roll = rng.random()
        if self.open_only:
            age, roll = 0.0, roll * 0.8
        elif self.closed_only:
            age = max(age, 0.02)
        if age < 0.02 and roll < 0.4:
            return  # still new
        if age < 0.02 and roll < 0.8:
            move = "work_started" if roll < 0.65 else "put_on_hold"
            state = "in_progress" if move == "work_started" else "on_hold"
            changes = {"state": ("new", state)}
            if move == "work_started":
                changes["first_response_at"] = (None, chain.next_at())
                values["first_response_at"] = changes["first_response_at"][1]
            else:
                changes["hold_reason"] = ("", "awaiting_caller")
                values["hold_reason"] = "awaiting_caller"
            chain.add(
                move, assignee, "web", changes, at=changes.get("first_response_at", (0, None))[1]
            )
            values["state"] = state
            return
        resolved_at = chain.next_at()
        code = rng.choice(
            ("solved_permanently", "solved_workaround", "solved_remotely_permanently")
        )
        notes = "Fixed and confirmed with the caller."
        chain.add(
            "resolved",
            assignee,
            "web",
            {
                "state": ("new", "resolved"),
                "resolution_code": ("", code),
                "resolution_notes": ("", notes),
                "resolved_at": (None, resolved_at),
                "resolved_by": (None, assignee),
                "first_response_at": (None, resolved_at),
            },
            at=resolved_at,
        )
        values.update(
            state="resolved",
            resolution_code=code,
            resolution_notes=notes,
            resolved_at=resolved_at,
            resolved_by=assignee,
            first_response_at=resolved_at,
        )
        if age > 0.01 or self.closed_only:
            closed_at = resolved_at + dt.timedelta(days=7)
            chain.add(
                "closed",
                None,
                "system",
                {"state": ("resolved", "closed"), "closed_at": (None, closed_at)},
                at=closed_at,
            )
            values.update(state="closed", closed_at=closed_at)


class Chain:
    """The history entries of one record, hashed as ``record_change`` hashes them."""

    def __init__(self, factory: IncidentFactory, pk: int, created: dt.datetime) -> None:
        self.factory, self.pk, self.at = factory, pk, created
        self.entries: list[Any] = []

    def next_at(self) -> dt.datetime:
        return self.at + dt.timedelta(seconds=self.factory.rng.randint(120, 36_000))

    def add(
        self,
        action: str,
        actor: Any,
        channel: str,
        changes: dict[str, tuple[Any, Any]],
        at: dt.datetime | None = None,
    ) -> None:
        from watchkeeper.core.history import entry_hash, jsonable
        from watchkeeper.core.models import HistoryEntry

        label = self.factory.label
        self.at = at or self.at
        payload = {
            name: {
                "old": label(old) if hasattr(old, "_meta") else jsonable(old),
                "new": label(new) if hasattr(new, "_meta") else jsonable(new),
            }
            for name, (old, new) in changes.items()
        }
        entry = HistoryEntry(
            content_type=self.factory.content_type,
            object_id=str(self.pk),
            sequence=len(self.entries) + 1,
            at=self.at,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor.get_username() if actor is not None else "system",
            channel=channel,
            action=action,
            changes=payload,
            prev_hash=self.entries[-1].hash if self.entries else "",
        )
        entry.hash = entry_hash(entry)
        self.entries.append(entry)


def seed(
    target: int,
    *,
    batch: int = BATCH,
    log: Any = sys.stderr,
    open_only: bool = False,
    closed_only: bool = False,
) -> dict[str, Any]:
    """Top the incident table up to ``target`` rows; return counts and timings. By default
    over two years, the older mostly closed; ``open_only`` adds a 30-day open backlog,
    ``closed_only`` only closed incidents."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from watchkeeper.core.models import HistoryEntry, NumberSequence, SearchEntry
    from watchkeeper.core.numbering import FIRST_NUMBER
    from watchkeeper.incidents.models import Incident

    started = time.perf_counter()
    org = build_organisation()
    organisation_seconds = time.perf_counter() - started
    texts = ticket_texts()
    have = Incident.objects.count()
    next_pk = (Incident.objects.aggregate(Max("pk"))["pk__max"] or 0) + 1
    sequence, _ = NumberSequence.objects.get_or_create(
        prefix=Incident.NUMBER_PREFIX, defaults={"last_value": FIRST_NUMBER - 1}
    )
    next_value = sequence.last_value + 1
    factory = IncidentFactory(
        org, texts, seed=next_pk, open_only=open_only, closed_only=closed_only
    )
    end = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    span = OPEN_SPAN if open_only else SPAN
    step = span / max(target, 1)
    entries_written = 0
    with fast_mode(), explicit_timestamps(Incident):
        for first in range(have, target, batch):
            rows = [
                factory.build(
                    next_pk + offset,
                    f"INC{next_value + offset:07d}",
                    end - span + step * (first + offset),
                )
                for offset in range(min(batch, target - first))
            ]
            with transaction.atomic():
                Incident.objects.bulk_create([row[0] for row in rows])
                HistoryEntry.objects.bulk_create([e for row in rows for e in row[1]])
                SearchEntry.objects.bulk_create([row[2] for row in rows])
                NumberSequence.objects.filter(prefix=Incident.NUMBER_PREFIX).update(
                    last_value=next_value + len(rows) - 1
                )
            entries_written += sum(len(row[1]) for row in rows)
            next_pk, next_value = next_pk + len(rows), next_value + len(rows)
            print(f"  {first + len(rows):,} / {target:,} incidents", file=log, flush=True)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Incident]):
                cursor.execute(sql)
    return {
        "incidents": Incident.objects.count(),
        "added": target - have if target > have else 0,
        "history_entries_added": entries_written,
        "organisation_seconds": round(organisation_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def credentials() -> dict[str, Any]:
    """A write token and a logged-in session for the agent, and a few incident numbers."""
    from django.test import Client

    from watchkeeper.accounts import actions as accounts
    from watchkeeper.accounts.choices import TokenScope
    from watchkeeper.accounts.models import User
    from watchkeeper.incidents.models import Category, Incident

    agent = User.objects.get(username="adam")
    _, token = accounts.create_token(
        agent, name=f"bench {time.time():.0f}", scope=TokenScope.WRITE, acting_user=agent
    )
    client = Client()
    client.force_login(agent)
    numbers = list(Incident.objects.order_by("?").values_list("number", flat=True)[:50])
    categories = Category.objects.filter(parent__isnull=False).values_list("parent_id", "pk")
    return {
        "categories": [list(pair) for pair in categories],
        "token": token,
        "session": client.cookies["sessionid"].value,
        "numbers": numbers,
        "callers": [f"caller{n:03d}" for n in range(CALLERS)],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", type=int, required=True, help="incidents wanted in total")
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = seed(args.to, batch=args.batch)
    result.update(credentials())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
