"""Service availability: the share of the period each service was not down.

A service is down while one of its major incidents is open (from the incident's creation to its
resolution; canceled ones do not count) or while a critical alert on the service's own item is
live (from its first event to its closing; alerts raised in a maintenance window do not count).
Overlapping outages are merged, so an hour with two of them is one hour down. What is still open
is down until now (or the period's end, if earlier). docs/kpis.md, "Other processes".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from watchkeeper.cmdb.choices import SERVICE_CLASSES, CiStatus
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.events.choices import AlertStatus, Severity
from watchkeeper.events.models import Alert
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.process_kpis_base import Kpi, Window, drill

#: Services measured even without an outage: those in use (planned and retired ones are not).
IN_USE = (CiStatus.IN_SERVICE, CiStatus.MAINTENANCE)
Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class ServiceAvailability:
    service_id: int
    name: str
    outage_minutes: float
    #: In per cent; None when nothing of the period can be measured yet (it lies ahead).
    availability: float | None


def _incident_outages(window: Window) -> Iterable[tuple[int, Interval]]:
    """The services' major incidents overlapping the period, as (service, interval).

    Major incidents are few: the query asks the (is_major, state) index for them alone and the
    rest is sorted out here. (With the period in the query too, SQLite's planner walked the
    created_at index over every incident of a long period.)"""
    until = window.measured_until
    rows = Incident.objects.filter(is_major__in=[True]).exclude(state=IncidentState.CANCELED)
    if window.service_id is not None:
        rows = rows.filter(service_id=window.service_id)
    columns = ("service_id", "created_at", "resolved_at", "closed_at")
    for service_id, began, resolved, closed in rows.order_by().values_list(*columns):
        ended = resolved or closed
        if service_id is None or began >= until or (ended is not None and ended <= window.since):
            continue
        yield service_id, (began, ended or until)


def _alert_outages(window: Window) -> Iterable[tuple[int, Interval]]:
    """The critical alerts on the services' own items overlapping the period."""
    until = window.measured_until
    rows = Alert.objects.filter(
        severity=Severity.CRITICAL,
        in_maintenance=False,
        configuration_item__ci_class__in=SERVICE_CLASSES,
        first_seen__lt=until,
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=window.since))
    if window.service_id is not None:
        rows = rows.filter(configuration_item_id=window.service_id)
    columns = ("configuration_item_id", "first_seen", "closed_at", "last_seen", "status")
    for service_id, began, closed, last_seen, status in rows.values_list(*columns):
        # A closed alert always has its closing time; should one lack it, its last event ends it.
        ended = closed or (last_seen if status == AlertStatus.CLOSED else until)
        yield service_id, (began, ended)


def outage_seconds(intervals: Iterable[Interval], since: dt.datetime, until: dt.datetime) -> float:
    """The time covered by ``intervals`` within [since, until), overlaps counted once."""
    clipped = sorted(
        (max(began, since), min(ended, until))
        for began, ended in intervals
        if min(ended, until) > max(began, since)
    )
    total = 0.0
    current: Interval | None = None
    for began, ended in clipped:
        if current is not None and began <= current[1]:
            current = (current[0], max(current[1], ended))
            continue
        if current is not None:
            total += (current[1] - current[0]).total_seconds()
        current = (began, ended)
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def availability_rows(window: Window) -> list[ServiceAvailability]:
    """Each service's availability over the window (computed once per window)."""
    if "availability" not in window.cache:
        window.cache["availability"] = _availability(window)
    rows: list[ServiceAvailability] = window.cache["availability"]
    return rows


def _availability(window: Window) -> list[ServiceAvailability]:
    outages: dict[int, list[Interval]] = defaultdict(list)
    for service_id, interval in [*_incident_outages(window), *_alert_outages(window)]:
        outages[service_id].append(interval)
    services = ConfigurationItem.objects.filter(ci_class__in=SERVICE_CLASSES)
    if window.service_id is not None:
        services = services.filter(pk=window.service_id)
    else:
        services = services.filter(Q(status__in=IN_USE) | Q(pk__in=list(outages)))
    until = window.measured_until
    length = max((until - window.since).total_seconds(), 0.0)
    rows = []
    for pk, name in services.order_by("name", "pk").values_list("pk", "name"):
        down = outage_seconds(outages.get(pk, []), window.since, until)
        share = round(100 * (1 - down / length), 3) if length else None
        rows.append(ServiceAvailability(pk, name, round(down / 60, 1), share))
    return rows


def service_availability(
    start: dt.date,
    end: dt.date,
    service_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[ServiceAvailability]:
    """Each service's outage minutes and availability over [start, end), by name."""
    return availability_rows(Window(start, end, service_id, now))


def availability_kpi(window: Window) -> Kpi:
    """The mean availability of the services measured (each counts once, whatever its size)."""
    measured = [
        row.availability for row in availability_rows(window) if row.availability is not None
    ]
    value = round(sum(measured) / len(measured), 3) if measured else None
    url = ""
    if window.service_id is not None:
        number = ConfigurationItem.objects.filter(pk=window.service_id).values("number")
        url = drill("cmdb:detail", number[0]["number"]) if number else ""
    return Kpi(
        "availability",
        "Service availability",
        value,
        "%",
        denominator=len(measured),
        drill_url=url,
        decimals=3,
    )
