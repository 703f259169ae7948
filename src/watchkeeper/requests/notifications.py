"""Who hears about requests: approvers are asked by e-mail, with signed links to decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.requests.delegation import delegates_of
from watchkeeper.requests.links import path_for

register_kind(
    "approvals",
    "Approvals",
    "Someone needs your approval for a request.",
    optional=False,
)


def approvals_requested(approvals: Iterable[Any]) -> None:
    """One message to each approver asked (and to their delegates while they are away), each
    with their own link to decide."""
    for approval in approvals:
        _to_deciders(approval, "Approval needed", "requests/email/approval_requested.txt")


def approval_reminder(approval: Any) -> None:
    _to_deciders(approval, "Reminder: approval needed", "requests/email/approval_reminder.txt")


def approval_escalated(approval: Any, to: Any) -> None:
    item = approval.requested_item
    request = item.request
    notify(
        [to],
        kind="approvals",
        subject=f"Waiting for {approval.approver}'s approval: {request.number} {item.catalog_item}",
        template="requests/email/approval_escalated.txt",
        context={"approval": approval, "item": item, "request": request},
        url=f"/portal/requests/{request.number}/",
    )


def _to_deciders(approval: Any, title: str, template: str) -> None:
    item = approval.requested_item
    request = item.request
    for person in [approval.approver, *delegates_of(approval.approver_id)]:
        if person.pk in (request.requested_by_id, request.requested_for_id):
            continue  # nobody decides their own request
        link = path_for(approval, person)
        notify(
            [person],
            kind="approvals",
            subject=f"{title}: {request.number} {item.catalog_item} for {request.requested_for}",
            template=template,
            context={
                "approval": approval,
                "item": item,
                "request": request,
                "link": link,
                "link_days": settings.APPROVAL_LINK_DAYS,
            },
            url=link,
        )
