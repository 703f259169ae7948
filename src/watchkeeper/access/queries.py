"""Who may read which part of the register: readers (``access.view_register``) all of it; a
role's owner the grants of their roles; everyone their own."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from watchkeeper.access.models import Entitlement
from watchkeeper.access.permissions import AccessPermission


def register_for(user: Any) -> QuerySet[Entitlement]:
    rows = Entitlement.objects.select_related(
        "role__system", "role__owner", "holder", "granted_by", "ended_by"
    )
    if user.has_perm(AccessPermission.VIEW_REGISTER):
        return rows
    return rows.filter(Q(holder=user) | Q(role__owner=user))
