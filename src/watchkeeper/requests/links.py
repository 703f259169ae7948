"""Signed approval links: the e-mail asking for a decision carries a link that lets the approver
decide without logging in. The link names the approval and its approver, signed with the secret
key, and lasts ``APPROVAL_LINK_DAYS`` days; opening it shows the request and asks to confirm
(a mail scanner following the link decides nothing); a decided approval cannot be decided again.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from watchkeeper.requests.models import Approval

SALT = "watchkeeper.requests.approval-link"


def token_for(approval: Approval) -> str:
    return signing.dumps({"approval": approval.pk, "approver": approval.approver_id}, salt=SALT)


def path_for(approval: Approval) -> str:
    return f"/approvals/{token_for(approval)}/"


def approval_for(token: str) -> Approval | None:
    """The approval the link names, if the signature holds, it has not expired, and the
    approval is still the named approver's; else None."""
    max_age = settings.APPROVAL_LINK_DAYS * 24 * 3600
    try:
        claims = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(claims, dict):
        return None
    approval_id, approver_id = claims.get("approval"), claims.get("approver")
    if not isinstance(approval_id, int) or not isinstance(approver_id, int):
        return None
    approval = (
        Approval.objects.select_related(
            "approver",
            "requested_item__request__requested_for",
            "requested_item__request__requested_by",
            "requested_item__catalog_item",
        )
        .filter(pk=approval_id, approver_id=approver_id)
        .first()
    )
    return approval
