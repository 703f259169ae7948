"""Separation of duties: which active rule a grant of ``role`` to ``holder`` would break, given
the roles they hold now. Checked when a grant is written and when an access role is ordered."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from watchkeeper.access.choices import EntitlementState
from watchkeeper.access.models import AccessRole, Entitlement, SodRule


def broken_rules(holder: Any, role: AccessRole) -> list[SodRule]:
    rules = SodRule.objects.filter(is_active=True).filter(Q(first=role) | Q(second=role))
    held = set(
        Entitlement.objects.filter(holder=holder, state=EntitlementState.ACTIVE).values_list(
            "role_id", flat=True
        )
    )
    broken = []
    for rule in rules.select_related("first__system", "second__system"):
        other = rule.second_id if rule.first_id == role.pk else rule.first_id
        if other in held:
            broken.append(rule)
    return broken


def problem(holder: Any, role: AccessRole) -> str | None:
    """Words for the first broken rule, or None."""
    for rule in broken_rules(holder, role):
        other = rule.second if rule.first_id == role.pk else rule.first
        return (
            f"Separation of duties: {holder.username} holds {other}, which may not go with "
            f"{role} ({rule.description})."
        )
    return None


def order_check(recipient: Any, catalog_item: Any) -> str | None:
    """For ``requests.checks``: an access role's catalog item ordered for ``recipient``."""
    role = AccessRole.objects.filter(catalog_item_id=catalog_item.pk).first()
    return problem(recipient, role) if role is not None else None
