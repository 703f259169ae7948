"""What the alert console and the alerts API read: filtered alert lists in the console's order,
and the noise figures (events -> alerts -> incidents) over a window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from watchkeeper.events.choices import LIVE_STATUSES, SEVERITY_RANK
from watchkeeper.events.models import Alert, Event
from watchkeeper.incidents.models import Incident


@dataclass(frozen=True)
class AlertFilters:
    """The console's filters; empty ones do not narrow. No status means the live ones."""

    status: Iterable[str] = ()
    severity: Iterable[str] = ()
    source: str = ""
    resource: str = ""
    ci: str = ""
    q: str = ""


def ranked(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Worst first, then the most recently seen: what needs a look comes to the top."""
    rank = Case(
        *[When(severity=name, then=Value(value)) for name, value in SEVERITY_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return alerts.annotate(severity_rank=rank).order_by("-severity_rank", "-last_seen", "-pk")


def alert_list(filters: AlertFilters) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(status__in=list(filters.status) or list(LIVE_STATUSES))
    if severities := list(filters.severity):
        alerts = alerts.filter(severity__in=severities)
    if filters.source:
        alerts = alerts.filter(source__name=filters.source)
    if filters.resource:
        alerts = alerts.filter(resource=filters.resource)
    if filters.ci:
        alerts = alerts.filter(configuration_item__number=filters.ci)
    if q := filters.q.strip():  # a few words in the number, resource, check or message
        alerts = alerts.filter(
            Q(number__iexact=q)
            | Q(resource__icontains=q)
            | Q(check_name__icontains=q)
            | Q(message__icontains=q)
        )
    related = ranked(alerts).select_related("source", "configuration_item", "incident")
    return related


@dataclass(frozen=True)
class Noise:
    """How much the de-duplication and the rules spare people over ``days``."""

    days: int
    since: dt.datetime
    events: int
    alerts: int
    incidents: int

    @property
    def events_per_alert(self) -> float | None:
        return round(self.events / self.alerts, 1) if self.alerts else None

    @property
    def alerts_per_incident(self) -> float | None:
        return round(self.alerts / self.incidents, 1) if self.incidents else None

    @property
    def reduction(self) -> float | None:
        """The share of events that did not become an incident, in per cent."""
        if not self.events:
            return None
        return round(100 * (1 - self.incidents / self.events), 1)


def noise(days: int = 7, now: dt.datetime | None = None) -> Noise:
    """Events received, alerts opened and incidents opened from alerts in the last ``days``."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    events = Event.objects.filter(received_at__gte=since).count()
    alerts = Alert.objects.filter(created_at__gte=since).count()
    incidents = (
        Incident.objects.filter(created_at__gte=since, alerts__isnull=False)
        .values("pk")
        .distinct()
        .count()
    )
    return Noise(days=days, since=since, events=events, alerts=alerts, incidents=incidents)
