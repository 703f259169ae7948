"""The alerts API, ``/api/v1/alerts``: the console's list, one alert, its events, the noise
figures, and the actions (acknowledge, shelve, close, link to an incident).

It takes the users' sessions and API tokens (the API's default), never a source's ingestion
token. Reading needs ``events.view``; acting needs ``events.work``, which the actions check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router

from watchkeeper.core.api import caller, capped_count, requires
from watchkeeper.core.choices import Channel
from watchkeeper.events import actions
from watchkeeper.events.api_alert_schemas import (
    AlertFilter,
    AlertOut,
    AlertPage,
    AlertVersioned,
    CloseIn,
    EventPage,
    LinkIn,
    NoiseOut,
    ShelveIn,
)
from watchkeeper.events.models import Alert, Event
from watchkeeper.events.permissions import EventPermission as P
from watchkeeper.events.queries import AlertFilters, alert_list, noise
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.models import Incident

router = Router(tags=["alerts"])
API = Channel.API
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ONE = {200: AlertOut, **ERRORS, 409: ConflictOut}
PATH = "/alerts/{number}"


def alert_out(alert: Alert) -> dict[str, Any]:
    ci, incident = alert.configuration_item, alert.incident
    return {
        "number": alert.number, "status": alert.status, "severity": alert.severity,
        "source": alert.source.name, "key": alert.key, "resource": alert.resource,
        "check": alert.check_name, "message": alert.message, "labels": alert.labels or {},
        "count": alert.count, "first_seen": alert.first_seen, "last_seen": alert.last_seen,
        "configuration_item": ci.number if ci else None,
        "incident": incident.number if incident else None,
        "shelved_until": alert.shelved_until, "closed_at": alert.closed_at,
        "version": alert.version,
    }  # fmt: skip


def event_out(event: Event) -> dict[str, Any]:
    return {
        "severity": event.severity, "resource": event.resource, "check": event.check_name,
        "message": event.message, "labels": event.labels or {}, "occurred_at": event.occurred_at,
        "received_at": event.received_at, "external_id": event.external_id,
    }  # fmt: skip


def _one(number: str) -> Alert:
    alert = (
        Alert.objects.select_related("source", "configuration_item", "incident")
        .filter(number=number[:16])
        .first()
    )
    if alert is None:
        raise Http404
    return alert


@router.get(
    "/alerts",
    response={200: AlertPage, **ERRORS},
    operation_id="list_alerts",
    summary="List alerts",
    description="Worst severity first, then the most recently seen. Without `status`, the live "
    "alerts (open, acknowledged, shelved). `count` is counted up to 10,000 (`count_capped`).",
)
@requires(P.VIEW)
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    alerts = alert_list(
        AlertFilters(
            status=filters.status or (), severity=filters.severity or (),
            source=filters.source or "", resource=filters.resource or "",
            ci=filters.ci or "", q=filters.q or "",
        )
    )  # fmt: skip
    count, capped = capped_count(alerts)
    rows = alerts[filters.offset : filters.offset + filters.limit]
    return {"count": count, "count_capped": capped, "items": [alert_out(a) for a in rows]}


@router.get(
    "/alerts/noise",
    response={200: NoiseOut, **ERRORS},
    operation_id="alert_noise",
    summary="Noise figures: events -> alerts -> incidents",
)
@requires(P.VIEW)
def alert_noise(request: HttpRequest, days: int = Query(7, ge=1, le=366)) -> dict[str, Any]:
    figures = noise(days)
    return {
        "days": figures.days, "since": figures.since, "events": figures.events,
        "alerts": figures.alerts, "incidents": figures.incidents,
        "events_per_alert": figures.events_per_alert,
        "alerts_per_incident": figures.alerts_per_incident, "reduction": figures.reduction,
    }  # fmt: skip


@router.get(PATH, response={200: AlertOut, **ERRORS}, operation_id="get_alert")
@requires(P.VIEW)
def get_alert(request: HttpRequest, number: str) -> dict[str, Any]:
    return alert_out(_one(number))


@router.get(
    f"{PATH}/events",
    response={200: EventPage, **ERRORS},
    operation_id="list_alert_events",
    summary="The alert's events, newest first",
)
@requires(P.VIEW)
def list_alert_events(
    request: HttpRequest,
    number: str,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
) -> dict[str, Any]:
    events = _one(number).events.order_by("-occurred_at", "-id")
    count, capped = capped_count(events)
    rows = events[offset : offset + limit]
    items = [event_out(e) for e in rows]
    return {"count": count, "count_capped": capped, "items": items}


def _acted(alert: Alert) -> dict[str, Any]:
    return alert_out(_one(alert.number))


@router.post(f"{PATH}/acknowledge", response=ONE, operation_id="acknowledge_alert")
@requires(P.WORK)
def acknowledge_alert(request: HttpRequest, number: str, payload: AlertVersioned) -> Any:
    return _acted(
        actions.acknowledge(
            _one(number), acting_user=caller(request), channel=API,
            expected_version=payload.version,
        )
    )  # fmt: skip


@router.post(f"{PATH}/unacknowledge", response=ONE, operation_id="unacknowledge_alert")
@requires(P.WORK)
def unacknowledge_alert(request: HttpRequest, number: str, payload: AlertVersioned) -> Any:
    return _acted(
        actions.unacknowledge(
            _one(number), acting_user=caller(request), channel=API,
            expected_version=payload.version,
        )
    )  # fmt: skip


def _until(payload: ShelveIn) -> dt.datetime:
    if (payload.until is None) == (payload.hours is None):
        raise ValidationError({"until": "Give either until or hours."})
    return payload.until or timezone.now() + dt.timedelta(hours=payload.hours or 0)


@router.post(
    f"{PATH}/shelve",
    response=ONE,
    operation_id="shelve_alert",
    description='`{"hours": 4}` or `{"until": "2026-11-27T08:00:00Z"}`; at most 30 days.',
)
@requires(P.WORK)
def shelve_alert(request: HttpRequest, number: str, payload: ShelveIn) -> Any:
    return _acted(
        actions.shelve(
            _one(number), until=_until(payload), acting_user=caller(request), channel=API,
            expected_version=payload.version,
        )
    )  # fmt: skip


@router.post(f"{PATH}/unshelve", response=ONE, operation_id="unshelve_alert")
@requires(P.WORK)
def unshelve_alert(request: HttpRequest, number: str, payload: AlertVersioned) -> Any:
    return _acted(
        actions.unshelve(
            _one(number), acting_user=caller(request), channel=API,
            expected_version=payload.version,
        )
    )  # fmt: skip


@router.post(f"{PATH}/close", response=ONE, operation_id="close_alert")
@requires(P.WORK)
def close_alert(request: HttpRequest, number: str, payload: CloseIn) -> Any:
    return _acted(
        actions.close(
            _one(number), acting_user=caller(request), channel=API, note=payload.note,
            expected_version=payload.version,
        )
    )  # fmt: skip


@router.post(
    f"{PATH}/link",
    response=ONE,
    operation_id="link_alert",
    description='`{"incident": "INC0001234"}` links the alert to it; `{"incident": null}` unlinks.',
)
@requires(P.WORK)
def link_alert(request: HttpRequest, number: str, payload: LinkIn) -> Any:
    user, alert = caller(request), _one(number)
    if payload.incident is None:
        return _acted(
            actions.unlink_incident(
                alert, acting_user=user, channel=API, expected_version=payload.version
            )
        )
    incident = Incident.objects.restrict(user).filter(number=payload.incident.strip()).first()
    if incident is None:
        raise ValidationError({"incident": f"No incident {payload.incident!r} that you may see."})
    return _acted(
        actions.link_incident(
            alert, incident, acting_user=user, channel=API, expected_version=payload.version
        )
    )
