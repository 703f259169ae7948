"""The figures on the role home pages: an agent's or resolver's own work, a manager's groups,
a service owner's services, each over the last 30 days.

They read the incident facts as the periodic job left them (refreshed every five minutes), not
refreshing first: home pages are opened far more often than dashboards. "Open now" counts the
incidents table itself, so it agrees with the queue beside it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import OPEN_STATES
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.cubes import MEASURES
from watchkeeper.reporting.dashboard import drill_url
from watchkeeper.reporting.filters import Filters, today
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.models import IncidentFact

DAYS = 30
PERIOD = "30d"


def since(days: int = DAYS) -> dt.date:
    """The first day of the last ``days`` days (today included), as ``period=30d`` reads it."""
    return today() - dt.timedelta(days=days - 1)


def last_days(**dimensions: int) -> Filters:
    """The dashboards' filters for the last 30 days and ``dimensions``."""
    return Filters(start=since(), end=today() + dt.timedelta(days=1), **dimensions)


@dataclass(frozen=True)
class MyFigures:
    open_now: int
    #: The incidents assigned to the user and resolved in the last 30 days.
    resolved: Measures


def my_figures(user: Any) -> MyFigures:
    """Incidents assigned to ``user``: open now, and those resolved in the last 30 days with
    their mean time to resolve and resolution SLA."""
    open_now = Incident.objects.filter(assignee=user, state__in=OPEN_STATES).count()
    resolved = IncidentFact.objects.filter(
        incident__assignee=user, resolved_day__gte=since()
    ).aggregate(**MEASURES)
    return MyFigures(open_now, Measures().add(resolved))


@dataclass(frozen=True)
class Line:
    """One group or service: its name, its figures, the dashboard it links to."""

    key: int
    name: str
    measures: Measures
    backlog: int
    url: str
    #: The drill-down pages of the incidents that missed the response or resolution SLA.
    response_missed_url: str = ""
    resolution_missed_url: str = ""


def _per(field: str, keys: list[int]) -> tuple[dict[int, Measures], dict[int, int]]:
    """Measures of the incidents opened in the last 30 days, and the open backlog now (any
    age), per value of ``field``: two queries."""
    measures: dict[int, Measures] = defaultdict(Measures)
    rows = (
        IncidentFact.objects.filter(**{f"{field}__in": keys}, opened_day__gte=since())
        .values(field)
        .annotate(**MEASURES)
        .order_by()
    )
    for row in rows:
        measures[row[field]].add(row)
    backlog = dict(
        IncidentFact.objects.filter(**{f"{field}__in": keys}, is_open=True)
        .values(field)
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(field, "n")
    )
    return measures, backlog


def group_figures(user: Any) -> list[Line]:
    """The active groups ``user`` manages, each with its last 30 days and its backlog."""
    groups = list(SupportGroup.objects.filter(manager=user, is_active=True).only("name"))
    measures, backlog = _per("group_id", [group.pk for group in groups])
    base = reverse("reporting:incidents")
    return [
        Line(
            group.pk,
            group.name,
            measures.get(group.pk, Measures()),
            backlog.get(group.pk, 0),
            f"{base}?{urlencode({'period': PERIOD, 'group': group.pk})}",
        )
        for group in groups
    ]


def owned_services(user: Any) -> list[ConfigurationItem]:
    """The services ``user`` owns (``ConfigurationItem.owner``), by name."""
    rows = ConfigurationItem.objects.filter(owner=user, ci_class__in=SERVICE_CLASSES)
    return sorted(rows.only("name"), key=lambda ci: ci.name.lower())


def service_figures(user: Any) -> tuple[list[Line], Measures]:
    """The services ``user`` owns with their last 30 days, and the sums over all of them."""
    services = owned_services(user)
    measures, backlog = _per("service_id", [service.pk for service in services])
    base = reverse("reporting:services")
    lines = [
        Line(
            service.pk,
            service.name,
            measures.get(service.pk, Measures()),
            backlog.get(service.pk, 0),
            f"{base}?{urlencode({'period': PERIOD, 'service': service.pk})}",
            drill_url(last_days(service=service.pk), "response_breached"),
            drill_url(last_days(service=service.pk), "resolution_breached"),
        )
        for service in services
    ]
    total = Measures()
    for line in lines:
        total.add(vars(line.measures))
    return lines, total


def backlog_of(lines: list[Line]) -> int:
    return sum(line.backlog for line in lines)
