"""Signed approval links: the e-mail asking for a decision carries a link that lets its
recipient — the approver, or their delegate while they are away — decide without logging in.
The link names the approval and that person, signed with the secret key, and lasts
``APPROVAL_LINK_DAYS`` days; opening it shows the request and asks to confirm (a mail scanner
following the link decides nothing); a decided approval cannot be decided again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

from watchkeeper.accounts.models import User
from watchkeeper.requests.delegation import may_decide_for
from watchkeeper.requests.models import Approval

SALT = "watchkeeper.requests.approval-link"


def token_for(approval: Approval, user: Any = None) -> str:
    decider = user.pk if user is not None else approval.approver_id
    return signing.dumps({"approval": approval.pk, "user": decider}, salt=SALT)


def path_for(approval: Approval, user: Any = None) -> str:
    return f"/approvals/{token_for(approval, user)}/"


def approval_for(token: str) -> tuple[Approval, User] | None:
    """The approval the link names and the person it is for, if the signature holds, it has
    not expired, and that person may still decide it (its approver, or an active delegate)."""
    max_age = settings.APPROVAL_LINK_DAYS * 24 * 3600
    try:
        claims = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(claims, dict):
        return None
    approval_id, user_id = claims.get("approval"), claims.get("user")
    if not isinstance(approval_id, int) or not isinstance(user_id, int):
        return None
    approval = (
        Approval.objects.select_related(
            "approver",
            "requested_item__request__requested_for",
            "requested_item__request__requested_by",
            "requested_item__catalog_item",
        )
        .filter(pk=approval_id)
        .first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if approval is None or user is None or not may_decide_for(user, approval.approver_id):
        return None
    return approval, user
