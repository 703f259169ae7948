"""The ingestion API, ``POST /api/v1/events`` (our format; one event or a batch of up to 1,000),
authenticated by the source's token. The tool-specific adapters add their own endpoints."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Body, Query, Router, Status

from watchkeeper.events.api_adapters import LATER, accept
from watchkeeper.events.api_adapters import router as adapters_router
from watchkeeper.events.api_alerts import router as alerts_router
from watchkeeper.events.api_schemas import BatchIn, EventIn, HeartbeatOut, IngestOut
from watchkeeper.events.api_windows import router as windows_router
from watchkeeper.events.auth import SourceTokenAuth, source_of
from watchkeeper.events.heartbeats import beat
from watchkeeper.events.ingest import Incoming
from watchkeeper.events.models import Heartbeat
from watchkeeper.events.throttle import throttled
from watchkeeper.incidents.api_schemas import ErrorOut

router = Router(tags=["events"])
#: Ingestion endpoints take a source's token and nothing else.
ingestion = Router(auth=SourceTokenAuth())
router.add_router("/", ingestion)
router.add_router("/", adapters_router)  # the tools' own formats (ingestion tokens too)
router.add_router("/", alerts_router)  # the console's API (users' sessions and tokens)
router.add_router("/", windows_router)
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut}
SLUG = re.compile(r"[-\w]{1,100}")


def incoming(event: EventIn) -> Incoming:
    return Incoming(
        resource=event.resource, check=event.check, severity=event.severity,
        message=event.message, labels=event.labels, occurred_at=event.time,
        fingerprint=event.fingerprint, external_id=event.id, raw=event.model_dump(mode="json"),
    )  # fmt: skip


@ingestion.post(
    "/events",
    response={202: IngestOut, **ERRORS},
    operation_id="ingest_events",
    description='One event, or `{"events": [...]}` with up to 1,000. Atomic: all are taken or '
    "none. Taken events are kept and turned into alerts by the event processor within moments; "
    "an event with an `id` already received from this source is counted once." + LATER,
)
@throttled
def ingest_events(request: HttpRequest, payload: Body[EventIn | BatchIn]) -> Status:
    events = payload.events if isinstance(payload, BatchIn) else [payload]
    return accept(request, [incoming(event) for event in events])


@ingestion.post(
    "/heartbeats/{name}",
    response={200: HeartbeatOut, **ERRORS},
    operation_id="heartbeat",
    description="A beat of the heartbeat `name` (created by its first beat). Silence longer "
    "than `interval` minutes (default 60, kept from the first beat that gives it) plus the grace "
    "raises an alert; the next beat clears it.",
)
@throttled
def heartbeat(
    request: HttpRequest, name: str, interval: int | None = Query(None, ge=1, le=10_080)
) -> Heartbeat:
    if not SLUG.fullmatch(name):
        raise ValidationError(
            {"name": "A heartbeat name is letters, digits, - and _ (100 at most)."}
        )
    return beat(source_of(request), name, interval_minutes=interval)
