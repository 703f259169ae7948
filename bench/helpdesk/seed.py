"""Seed django-helpdesk to N tickets, as bench/seed_incidents.py seeds incidents.

Run with the helpdesk virtualenv's Python from this directory:
``python seed.py --to 100000 --tickets PATH``. Each ticket gets the follow-up django-helpdesk
writes when a ticket is opened and, when closed, the closing follow-up (its history). Prints one
JSON line: the API token of a superuser, the queue ids, the counts and the seconds taken.
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

QUEUES = ["Service Desk", "Network", "Servers", "Applications", "Database"]
STAFF = 40
SPAN = dt.timedelta(days=730)


def texts(path: str) -> list[tuple[str, str]]:
    if not Path(path).exists():
        return [
            (f"generated ticket {n}", f"generated description {n} laptop vpn") for n in range(5000)
        ]
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [((row["title"] or row["body"][:60]).strip()[:200], row["body"]) for row in rows]


def organisation():
    from django.contrib.auth.models import User
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@example.org", "bench-password")
        User.objects.bulk_create(
            [
                User(username=f"staff{n}", is_staff=True, email=f"staff{n}@example.org")
                for n in range(STAFF)
            ]
        )
        for name in QUEUES:
            Queue.objects.create(title=name, slug=name.lower().replace(" ", "-"))
    token, _ = Token.objects.get_or_create(user=admin)
    return (
        admin,
        token.key,
        list(Queue.objects.order_by("pk")),
        list(User.objects.filter(is_staff=True)),
    )


def seed(target: int, batch: int, ticket_texts: list[tuple[str, str]]) -> dict:
    from django.db import connection, transaction
    from helpdesk.models import FollowUp, Ticket

    started = time.perf_counter()
    admin, token, queues, staff = organisation()
    rng = random.Random(target)  # noqa: S311 (not for security)
    fields = [Ticket._meta.get_field("created"), Ticket._meta.get_field("modified")]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
        else:
            cursor.execute("SET synchronous_commit TO off")
    have = Ticket.objects.count()
    end = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    step = SPAN / max(target, 1)
    for first in range(have, target, batch):
        tickets = []
        for n in range(first, min(first + batch, target)):
            title, body = ticket_texts[n % len(ticket_texts)]
            created = end - SPAN + step * n
            closed = rng.random() < 0.9
            tickets.append(
                Ticket(
                    title=title or "(no title)",
                    description=body,
                    queue=rng.choice(queues),
                    submitter_email=f"caller{rng.randrange(300):03d}@example.org",
                    assigned_to=rng.choice(staff),
                    status=Ticket.CLOSED_STATUS if closed else Ticket.OPEN_STATUS,
                    priority=rng.randint(1, 5),
                    created=created,
                    modified=created + dt.timedelta(hours=5),
                    secret_key=f"{n:036d}",
                )
            )
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets)
            followups = [
                FollowUp(
                    ticket=t,
                    date=t.created,
                    title="Ticket Opened",
                    comment=t.description,
                    public=True,
                    user=admin,
                )
                for t in tickets
            ]
            followups += [
                FollowUp(
                    ticket=t,
                    date=t.modified,
                    title="Ticket Closed",
                    comment="Fixed.",
                    public=True,
                    user=admin,
                    new_status=Ticket.CLOSED_STATUS,
                )
                for t in tickets
                if t.status == Ticket.CLOSED_STATUS
            ]
            FollowUp.objects.bulk_create(followups)
        print(
            f"  helpdesk {first + len(tickets):,} / {target:,} tickets", file=sys.stderr, flush=True
        )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("SET synchronous_commit TO on")
            cursor.execute("VACUUM ANALYZE helpdesk_ticket")
            cursor.execute("VACUUM ANALYZE helpdesk_followup")
    return {
        "tickets": Ticket.objects.count(),
        "seconds": round(time.perf_counter() - started, 1),
        "token": token,
        "queues": [q.pk for q in queues],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--to", type=int, required=True)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--tickets", default="")
    args = parser.parse_args()
    django.setup()
    from django.core.management import call_command

    Path(os.environ.get("HELPDESK_BENCH_DIR", "var/bench/helpdesk")).mkdir(
        parents=True, exist_ok=True
    )
    call_command("migrate", verbosity=0)
    print(json.dumps(seed(args.to, args.batch, texts(args.tickets))))


if __name__ == "__main__":
    main()
