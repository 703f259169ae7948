"""Who hears about requests: approvers are asked by e-mail, with signed links to decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.requests.links import path_for

register_kind(
    "approvals",
    "Approvals",
    "Someone needs your approval for a request.",
    optional=False,
)


def approvals_requested(approvals: Iterable[Any]) -> None:
    """One message to each approver asked, with the link to decide."""
    for approval in approvals:
        item = approval.requested_item
        request = item.request
        link = path_for(approval)
        notify(
            [approval.approver],
            kind="approvals",
            subject=f"Approval needed: {request.number} {item.catalog_item} for "
            f"{request.requested_for}",
            template="requests/email/approval_requested.txt",
            context={
                "approval": approval,
                "item": item,
                "request": request,
                "link": link,
                "link_days": settings.APPROVAL_LINK_DAYS,
            },
            url=link,
        )
