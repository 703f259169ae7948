"""Bodies and answers of the ingestion API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema
from watchkeeper.events.choices import Severity

MAX_BATCH = 1000


class EventIn(ApiSchema):
    """One event in Watchkeeper's own format."""

    model_config = ConfigDict(extra="forbid")

    resource: str = Field(
        ..., min_length=1, max_length=300, description="Host or thing, e.g. web01"
    )
    check: str = Field(..., min_length=1, max_length=300, description="What was checked, e.g. disk")
    severity: Severity
    message: str = Field("", max_length=10_000)
    labels: dict[str, str] = Field(default_factory=dict, max_length=100)
    time: dt.datetime | None = Field(None, description="When it happened (default: now)")
    fingerprint: str = Field("", max_length=200, description="The tool's own alert identity")
    id: str = Field("", max_length=200, description="The event's id: a redelivery counts once")


class BatchIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    accepted: int
    duplicates: int = Field(..., description="Events received before (same id), not counted again")
    alerts: list[str] = Field(..., description="The alerts the events went to")
    opened: list[str]
    closed: list[str]


class HeartbeatOut(Schema):
    name: str
    interval_minutes: int
    grace_minutes: int
    last_beat_at: dt.datetime | None
    late_since: dt.datetime | None
