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
    return reserve_numbers(prefix, 1)[0]


def reserve_numbers(prefix: str, count: int) -> list[str]:
    """``count`` consecutive numbers taken in one step (bulk imports), with ``next_number``'s
    locking and in the caller's transaction, so a rolled-back import gives them all back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that creates the record")
    if count < 1:
        return []
    NumberSequence.objects.bulk_create(
        [NumberSequence(prefix=prefix, last_value=FIRST_NUMBER - 1)], ignore_conflicts=True
    )
    sequence = NumberSequence.objects.select_for_update().get(prefix=prefix)
    first = sequence.last_value + 1
    sequence.last_value += count
    sequence.save(update_fields=["last_value"])
    return [f"{prefix}{value:0{DIGITS}d}" for value in range(first, first + count)]
