"""SLA filters for record lists: the breaching-soon queue and its order."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, QuerySet, Subquery

from watchkeeper.incidents.models import Incident
from watchkeeper.sla.choices import ClockStatus
from watchkeeper.sla.models import SlaClock

#: A running clock due within this is "breaching soon" (one already past due too).
SOON = dt.timedelta(hours=2)


def breaching_soon(incidents: QuerySet[Incident], now: dt.datetime) -> QuerySet[Incident]:
    """``incidents`` with a running clock due within ``SOON`` (or overdue), annotated with the
    earliest such due time as ``sla_due``. Starts from the clocks' partial index on due times
    of running clocks, so it reads only those, however many incidents there are."""
    content_type = ContentType.objects.get_for_model(Incident)
    running = SlaClock.objects.filter(content_type=content_type, status=ClockStatus.RUNNING)
    due = running.filter(due_at__lte=now + SOON)
    earliest = running.filter(object_id=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    return incidents.filter(pk__in=due.values("object_id")).annotate(sla_due=Subquery(earliest))
