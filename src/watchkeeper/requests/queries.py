"""Reading tasks the way the queue and the API show them (one query, with what they display)."""

from __future__ import annotations

from django.db.models import QuerySet

from watchkeeper.requests.models import FulfilmentTask


def task_rows() -> QuerySet[FulfilmentTask]:
    return FulfilmentTask.objects.select_related(
        "requested_item__request__requested_for",
        "requested_item__catalog_item",
        "group",
        "assigned_to",
    )
