"""Human record numbers (INC0001001, REQ0001001, …): per prefix, gap-free under concurrency.

The counter row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions
serialise writers) and advanced in the caller's transaction, so a rolled-back creation gives its
number back and no two creations ever share one.
"""

from __future__ import annotations

from django.db import transaction

from watchkeeper.core.models import NumberSequence

FIRST_NUMBER = 1001
DIGITS = 7


def next_number(prefix: str) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that creates the record")
    NumberSequence.objects.bulk_create(
        [NumberSequence(prefix=prefix, last_value=FIRST_NUMBER - 1)], ignore_conflicts=True
    )
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{prefix}{sequence.last_value:0{DIGITS}d}"
