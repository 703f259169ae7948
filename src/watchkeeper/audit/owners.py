"""Who owns a new finding: the first of the deviation's candidates who is an active user (the
check's rule, e.g. the assignment group's manager), else the first active holder of the check's
process manager role by username, else nobody. Two queries per run, whatever the number."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.audit.checks import Check, Deviation, chunks


def role_holder(role: str) -> User | None:
    """The first active holder of ``role`` by username (superusers count as administrators)."""
    holds = Q(role_grants__role=role)
    if role == Role.ADMINISTRATOR:
        holds |= Q(is_superuser=True)
    return User.objects.filter(holds, is_active=True).distinct().order_by("username").first()


def active_users(ids: Iterable[int]) -> dict[int, User]:
    found: dict[int, User] = {}
    for chunk in chunks(sorted(set(ids))):
        found.update({user.pk: user for user in User.objects.filter(pk__in=chunk, is_active=True)})
    return found


def choose(check: Check, deviations: list[Deviation]) -> list[User | None]:
    """The owner of each of ``deviations``, in their order."""
    users = active_users(i for d in deviations for i in d.owners if i is not None)
    fallback: list[User | None] = []

    def manager() -> User | None:
        if not fallback:
            fallback.append(role_holder(check.manager_role))
        return fallback[0]

    owners: list[User | None] = []
    for deviation in deviations:
        chosen = next((users[i] for i in deviation.owners if i in users), None)
        owners.append(chosen if chosen is not None else manager())
    return owners
