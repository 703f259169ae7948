"""The monitoring tools' own formats: ``POST /api/v1/events/alertmanager``, ``…/grafana`` and
``…/zabbix``, authenticated by a source's token like ``POST /api/v1/events``. Each body is checked
by its adapter's schema (a 4xx names the field), turned into events, and accepted into the events
spool (``events.spool``) for the processor; the answer is 202 with the number of events taken."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router, Status

from watchkeeper.events import spool
from watchkeeper.events.adapters import alertmanager, grafana, zabbix
from watchkeeper.events.api_schemas import IngestOut
from watchkeeper.events.auth import SourceTokenAuth, source_of
from watchkeeper.events.ingest import Incoming
from watchkeeper.events.throttle import throttled
from watchkeeper.incidents.api_schemas import ErrorOut

router = Router(tags=["events"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut}
LATER = " Answers 429 with `Retry-After` when the server is busy: send again later."


def accept(request: HttpRequest, events: list[Incoming]) -> Status:
    """Keep ``events`` in the spool for the processor: 202 and how many were taken."""
    if events:
        spool.append(source_of(request).pk, events, timezone.now())
    return Status(202, {"accepted": len(events)})


@router.post(
    "/events/alertmanager",
    auth=SourceTokenAuth(),
    response={202: IngestOut, **ERRORS},
    operation_id="ingest_alertmanager",
    description="A Prometheus Alertmanager webhook notification (version 4): each alert is one "
    "event; `resolved` clears it. A repeated delivery counts once." + LATER,
)
@throttled
def ingest_alertmanager(request: HttpRequest, payload: Body[alertmanager.AlertmanagerIn]) -> Status:
    return accept(request, alertmanager.parse(payload))


@router.post(
    "/events/grafana",
    auth=SourceTokenAuth(),
    response={202: IngestOut, **ERRORS},
    operation_id="ingest_grafana",
    description="A Grafana alerting webhook notification: each alert is one event; `resolved` "
    "clears it. A repeated delivery counts once." + LATER,
)
@throttled
def ingest_grafana(request: HttpRequest, payload: Body[grafana.GrafanaIn]) -> Status:
    return accept(request, grafana.parse(payload))


@router.post(
    "/events/zabbix",
    auth=SourceTokenAuth(),
    response={202: IngestOut, **ERRORS},
    operation_id="ingest_zabbix",
    description="A message of Watchkeeper's Zabbix webhook media type (docs/events-sources.md): "
    "`PROBLEM` raises the alert, `RESOLVED` clears it. A repeat counts once." + LATER,
)
@throttled
def ingest_zabbix(request: HttpRequest, payload: Body[zabbix.ZabbixIn]) -> Status:
    return accept(request, zabbix.parse(payload))
