"""What a user may order: active items of active categories whose audience is everyone, or
names one of the user's roles or groups."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from watchkeeper.requests.models import CatalogCategory, CatalogItem
from watchkeeper.requests.permissions import RequestPermission


def orderable_items(user: Any) -> QuerySet[CatalogItem]:
    if not user.has_perm(RequestPermission.ORDER):
        return CatalogItem.objects.none()
    items = CatalogItem.objects.filter(is_active=True, category__is_active=True)
    everyone = Q(audience_roles=[], audience_groups__isnull=True)
    groups = Q(audience_groups__members=user, audience_groups__is_active=True)
    roles = [pk for pk, held in items.values_list("pk", "audience_roles") if set(held) & user.roles]
    visible = items.filter(everyone | groups | Q(pk__in=roles)).values("pk")
    return CatalogItem.objects.filter(pk__in=visible).select_related("category")


def categories_for(user: Any) -> QuerySet[CatalogCategory]:
    """Active categories holding at least one item ``user`` may order."""
    used = orderable_items(user).values("category_id")
    return CatalogCategory.objects.filter(is_active=True, pk__in=used)
