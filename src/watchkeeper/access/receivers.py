"""Access requests: when a requested item whose catalog item requests an access role is
delivered (approved by the role's owner, provisioned by its tasks or webhook), the grant is
written to the register for the person it was for — until the answer ``until``, if the form
has one. A grant the register refuses (they already hold it, too long) is noted in the request's
history instead; the delivery stands. An exception to a separation-of-duties rule approved for
the item (``sod.waivers_for``) lets the grant break that rule, and the grant says who allowed it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from watchkeeper.access import actions, sod
from watchkeeper.access.models import AccessRole
from watchkeeper.core.choices import Channel

UNTIL = "until"


def grant_delivered_access(sender: Any, item: Any, **_kwargs: Any) -> str | None:
    role = AccessRole.objects.filter(catalog_item_id=item.catalog_item_id).first()
    if role is None:
        return None
    request = item.request
    until = item.answers.get(UNTIL)
    expires_on = dt.date.fromisoformat(until) if isinstance(until, str) else None
    waivers = sod.waivers_for(item, request.requested_for, role)
    try:
        with transaction.atomic():
            entitlement = actions.grant(
                role, request.requested_for, acting_user=None, reason=request.number,
                expires_on=expires_on, requested_item=item, sod_waivers=waivers,
                channel=Channel.JOB,
            )  # fmt: skip
    except ValidationError as problem:
        return f"Not written to the access register: {' '.join(problem.messages)}"
    if entitlement.sod_exception:
        return f"{entitlement.number} written to the access register ({entitlement.sod_exception})"
    return f"{entitlement.number} written to the access register"
