"""Request fulfilment checks: a requested item delivered without the approval it needed.

An approval level counts as approved when, with rule "any", one of its approvers approved, and
with rule "all", every one did. The policy of a catalog item is known from its approval steps
and, for when it came into force, from the item's history (the entries that changed
``approval_steps``); steps without such an entry count as always in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from watchkeeper.accounts.choices import Role
from watchkeeper.audit.checks import Deviation, chunks, register
from watchkeeper.core.models import HistoryEntry
from watchkeeper.requests.choices import ApprovalRule, ApprovalState, ItemState
from watchkeeper.requests.models import (
    Approval,
    ApprovalStep,
    CatalogItem,
    RequestedItem,
    ServiceRequest,
)

ITEM_COLUMNS = (
    "pk", "position", "request_id", "request__number", "request__created_at",
    "catalog_item_id", "catalog_item__name", "fulfilment_group__manager_id",
    "catalog_item__owner_id",
)  # fmt: skip


def levels_not_approved(items: QuerySet[RequestedItem]) -> dict[int, list[int]]:
    """The approval levels asked of each of ``items`` that were not approved (by item id):
    one query, grouped by item and level."""
    rows = (
        Approval.objects.filter(requested_item__in=items)
        .order_by()
        .values("requested_item_id", "level", "rule")
        .annotate(total=Count("pk"), approved=Count("pk", filter=Q(state=ApprovalState.APPROVED)))
    )
    missing: dict[int, list[int]] = {}
    for row in rows:
        if row["rule"] == ApprovalRule.ALL:
            approved = row["approved"] == row["total"]
        else:
            approved = row["approved"] > 0
        if not approved:
            missing.setdefault(row["requested_item_id"], []).append(row["level"])
    return {item: sorted(levels) for item, levels in missing.items()}


def policy_since(catalog_item_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """When each catalog item's approval steps last changed, from its history."""
    content_type = ContentType.objects.get_for_model(CatalogItem)
    since: dict[int, dt.datetime] = {}
    for chunk in chunks(sorted(set(catalog_item_ids))):
        rows = (
            HistoryEntry.objects.filter(
                content_type=content_type,
                object_id__in=[str(pk) for pk in chunk],
                changes__has_key="approval_steps",
            )
            .order_by()
            .values("object_id")
            .annotate(last=Max("at"))
        )
        since.update({int(row["object_id"]): row["last"] for row in rows})
    return since


def never_asked(items: QuerySet[RequestedItem]) -> QuerySet[RequestedItem]:
    """Of ``items``, those no approval was ever asked for while their catalog item has steps."""
    steps = ApprovalStep.objects.filter(item_id=OuterRef("catalog_item_id"))
    asked = Approval.objects.filter(requested_item_id=OuterRef("pk"))
    return items.filter(Exists(steps)).exclude(Exists(asked))


def _problems(delivered: QuerySet[RequestedItem]) -> list[tuple[dict[str, Any], str]]:
    """(item row, what is wrong) for each delivered item that lacks its approval."""
    found = []
    levels = levels_not_approved(delivered)
    for chunk in chunks(sorted(levels)):
        for row in RequestedItem.objects.filter(pk__in=chunk).values(*ITEM_COLUMNS):
            named = ", ".join(str(level) for level in levels[row["pk"]])
            found.append((row, f"delivered with approval level {named} not approved"))
    unasked = list(never_asked(delivered).values(*ITEM_COLUMNS))
    since = policy_since(row["catalog_item_id"] for row in unasked)
    for row in unasked:
        start = since.get(row["catalog_item_id"])
        if start is None or row["request__created_at"] > start:
            found.append((row, "delivered without any approval, though its catalog item asks one"))
    return found


@register(
    "requests.fulfilled_without_approval",
    title="Requests fulfilled without their approval",
    description="A request with a requested item that is complete (delivered) while an "
    "approval level asked for it was not approved (rule any: nobody approved; rule all: not "
    "everyone did), or while no approval was ever asked although its catalog item's approval "
    "policy was in force when the request was made.",
    process="requests",
    owner_rule="the manager of the item's fulfilment group, else the catalog item's owner, "
    "else a service owner",
    manager_role=Role.SERVICE_OWNER,
    cost="Reads the approvals of complete items (grouped in the database) and the complete "
    "items of catalog items with an approval policy.",
)
def fulfilled_without_approval(now: dt.datetime) -> list[Deviation]:
    delivered = RequestedItem.objects.filter(state=ItemState.COMPLETE)
    by_request: dict[int, list[tuple[dict[str, Any], str]]] = {}
    for row, problem in _problems(delivered):
        by_request.setdefault(row["request_id"], []).append((row, problem))
    deviations = []
    for request_id, problems in sorted(by_request.items()):
        problems.sort(key=lambda found: found[0]["position"])
        first = problems[0][0]
        said = "; ".join(
            f"item {row['position']} ({row['catalog_item__name']}) {problem}"
            for row, problem in problems
        )
        deviations.append(
            Deviation(
                ServiceRequest,
                str(request_id),
                first["request__number"],
                f"{first['request__number']}: {said}.",
                (first["fulfilment_group__manager_id"], first["catalog_item__owner_id"]),
            )
        )
    return deviations
