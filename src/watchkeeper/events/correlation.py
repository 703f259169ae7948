"""Correlation: which alert explains another. A switch that goes down explains the alerts of the
servers that connect to it; an application's alert is explained by the alert of the server it
runs on; two alerts on one item within minutes are one problem.

When an alert opens, Watchkeeper looks, within ``WINDOW``, for a live alert on its own item or on
an item it rests on (nearest first) and makes that its *parent*; failing that, for the first live
alert on another item of the same service (two web servers of the shop going down together are
one outage of the shop). The other way, it makes the new alert the parent of live alerts
(without one) on the items that rest on its item. A child alert joins its parent's incident
instead of opening its own (``rules``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.cmdb.graph import failure_spreads, rests_on, walk
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.events.choices import LIVE_STATUSES
from watchkeeper.events.models import Alert

WINDOW = dt.timedelta(minutes=15)
#: How far the relations are followed from the alert's item, each way.
REACH = 2_000


def correlate(alert: Alert) -> None:
    """Set ``alert.parent`` (saved) and adopt the live alerts it explains."""
    ci_id = alert.configuration_item_id
    if ci_id is None:
        return
    recent = Alert.objects.filter(
        status__in=LIVE_STATUSES, first_seen__gte=alert.first_seen - WINDOW
    ).exclude(pk=alert.pk)
    below, _ = walk(ci_id, rests_on, limit=REACH)
    above, _ = walk(ci_id, failure_spreads, limit=REACH)
    depth = {ci_id: 0, **{pk: step.depth for pk, step in below.items()}}
    candidates = recent.filter(configuration_item_id__in=list(depth), parent__isnull=True)
    parent = min(
        candidates,
        key=lambda a: (depth.get(a.configuration_item_id or 0, 0), a.first_seen),
        default=None,
    )
    if parent is None:  # an item above is explained by this one: not a sibling
        siblings = list(same_service(ci_id, above) - {ci_id} - set(above))
        parent = (
            recent.filter(configuration_item_id__in=siblings, parent__isnull=True)
            .order_by("first_seen", "pk")
            .first()
        )
    if parent is not None:
        alert.parent = parent
        alert.save(update_fields=["parent"])
    if above:
        orphans = recent.filter(configuration_item_id__in=list(above), parent__isnull=True)
        orphans.exclude(pk=alert.parent_id or 0).update(parent=alert)


def same_service(ci_id: int, above: Mapping[int, Any]) -> set[int]:
    """The items of the services that ``ci_id``'s failure reaches (``above``: the items it
    reaches): what those services rest on, at most ``REACH`` from each service."""
    services = ConfigurationItem.objects.filter(
        pk__in=[ci_id, *above], ci_class__in=SERVICE_CLASSES
    ).values_list("pk", flat=True)
    items: set[int] = set()
    for service in services:
        below, _ = walk(service, rests_on, limit=REACH)
        items.update(below)
    return items
