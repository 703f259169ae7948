"""Access management checks: grants without approval, grants kept past their end date, and
review campaigns past their due date.

Only grants in force (active) are judged: revoking one (or recording its approval) resolves its
finding; ended grants keep their story in the register's history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Trim
from django.utils import timezone

from watchkeeper.access.choices import EntitlementState, ReviewState
from watchkeeper.access.models import AccessReview, Entitlement
from watchkeeper.accounts.choices import Role
from watchkeeper.audit.checks import Deviation, register
from watchkeeper.audit.checks.requests import levels_not_approved
from watchkeeper.requests.choices import ApprovalState
from watchkeeper.requests.models import Approval, RequestedItem

COLUMNS = ("pk", "number", "role__name", "role__system__name", "holder__username", "role__owner_id")
ROLE_OWNER = "the access role's owner, else an access manager"


def _grant(row: dict[str, Any], text: str) -> Deviation:
    what = f"{row['number']} ({row['role__system__name']}: {row['role__name']}, held by "
    return Deviation(
        Entitlement,
        str(row["pk"]),
        row["number"],
        f"{what}{row['holder__username']}) {text}.",
        (row["role__owner_id"],),
    )


def _unapproved_requests(active: QuerySet[Entitlement]) -> list[tuple[dict[str, Any], str]]:
    """Grants from a request whose requested item lacks its approval."""
    items = RequestedItem.objects.filter(pk__in=active.values("requested_item_id"))
    levels = levels_not_approved(items)
    approved = Approval.objects.filter(
        requested_item_id=OuterRef("requested_item_id"), state=ApprovalState.APPROVED
    )
    asked = Approval.objects.filter(requested_item_id=OuterRef("requested_item_id"))
    from_requests = active.filter(requested_item__isnull=False).annotate(
        approved=Exists(approved), asked=Exists(asked)
    )
    found = []
    for row in from_requests.order_by("pk").values(
        *COLUMNS, "requested_item_id", "requested_item__request__number", "profile_id",
        "approved", "asked",
    ):  # fmt: skip
        request = row["requested_item__request__number"]
        missing = levels.get(row["requested_item_id"])
        if missing:
            found.append((row, f"was granted by {request} with approval level {missing[0]} not "
                                "approved"))  # fmt: skip
        # A grant that came with an access profile (joiner, mover) is approved by the profile
        # when its request asked no approval at all.
        elif not row["approved"] and (row["profile_id"] is None or row["asked"]):
            found.append((row, f"was granted by {request}, which no one approved"))
    return found


@register(
    "access.granted_without_approval",
    title="Access granted without approval",
    description="An active entitlement that came from a request whose requested item was not "
    "approved (no approval given, or a level asked and not approved; a grant of an access "
    "profile counts as approved by the profile when its request asked no approval), or that "
    "was granted directly with no approver (granted by the system) or no reason.",
    process="access",
    owner_rule=ROLE_OWNER,
    manager_role=Role.ACCESS_MANAGER,
    cost="Reads the active entitlements once (state index) and the approvals of their requests.",
)
def granted_without_approval(now: dt.datetime) -> list[Deviation]:
    active = Entitlement.objects.filter(state=EntitlementState.ACTIVE)
    found = _unapproved_requests(active)
    direct = (
        active.filter(requested_item__isnull=True)
        .annotate(why=Trim("reason"))
        .filter(Q(granted_by__isnull=True) | Q(why=""))
    )
    for row in direct.order_by("pk").values(*COLUMNS, "granted_by_id", "why"):
        if row["granted_by_id"] is None:
            found.append((row, "was granted directly by the system, with no approver"))
        else:
            found.append((row, "was granted directly with no reason"))
    return [_grant(row, text) for row, text in sorted(found, key=lambda pair: pair[0]["pk"])]


@register(
    "access.kept_past_end_date",
    title="Access kept past its end date",
    description="An active entitlement whose end date is in the past (the hourly expiry job "
    "should have ended it).",
    process="access",
    owner_rule=ROLE_OWNER,
    manager_role=Role.ACCESS_MANAGER,
    cost="Active entitlements by the end-date index: cheap.",
)
def kept_past_end_date(now: dt.datetime) -> list[Deviation]:
    today = timezone.localdate(now)
    late = Entitlement.objects.filter(state=EntitlementState.ACTIVE, expires_on__lt=today)
    return [
        _grant(row, f"ended on {row['expires_on'].isoformat()} and is still active")
        for row in late.order_by("pk").values(*COLUMNS, "expires_on")
    ]


@register(
    "access.review_overdue",
    title="Access reviews overdue",
    description="An access review campaign that is still open after its due date.",
    process="access",
    owner_rule="whoever started the campaign, else an access manager",
    manager_role=Role.ACCESS_MANAGER,
    cost="Open campaigns by the state index: cheap.",
)
def review_overdue(now: dt.datetime) -> list[Deviation]:
    today = timezone.localdate(now)
    late = AccessReview.objects.filter(state=ReviewState.OPEN, due_on__lt=today)
    return [
        Deviation(
            AccessReview,
            str(row["pk"]),
            row["number"],
            f"{row['number']} ({row['name']}) was due on {row['due_on'].isoformat()} and is "
            "still open.",
            (row["started_by_id"],),
        )
        for row in late.order_by("pk").values("pk", "number", "name", "due_on", "started_by_id")
    ]
