"""Correlation: which alert explains another. A switch that goes down explains the alerts of the
servers that connect to it; an application's alert is explained by the alert of the server it
runs on; two alerts on one item within minutes are one problem.

When an alert opens, Watchkeeper looks, within ``WINDOW``, for a live alert on its own item or on
an item it rests on (nearest first) and makes that its *parent*; and, the other way, makes the new
alert the parent of live alerts (without one) on the items that rest on its item. A child alert
joins its parent's incident instead of opening its own (``rules``).
"""

from __future__ import annotations

import datetime as dt

from watchkeeper.cmdb.graph import failure_spreads, rests_on, walk
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
    depth = {ci_id: 0, **{pk: step.depth for pk, step in below.items()}}
    candidates = recent.filter(configuration_item_id__in=list(depth), parent__isnull=True)
    if candidates:
        parent = min(
            candidates, key=lambda a: (depth.get(a.configuration_item_id or 0, 0), a.first_seen)
        )
        alert.parent = parent
        alert.save(update_fields=["parent"])
    above, _ = walk(ci_id, failure_spreads, limit=REACH)
    if above:
        orphans = recent.filter(configuration_item_id__in=list(above), parent__isnull=True)
        orphans.exclude(pk=alert.parent_id or 0).update(parent=alert)
