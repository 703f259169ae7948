"""Bodies and answers of the ingestion API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from watchkeeper.core.api import refuse_nul
from watchkeeper.events.choices import Severity

MAX_BATCH = 1000


class EventIn(BaseModel):
    """One event in Watchkeeper's own format. A plain pydantic model, not a ninja ``Schema``:
    a batch validates a thousand of them, and ``Schema``'s per-object hooks cost more than the
    rest of the request. ``ApiSchema``'s rule (no NUL character) is checked in one pass."""

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

    @model_validator(mode="after")
    def _no_nul(self) -> EventIn:
        texts = [self.resource, self.check, self.message, self.fingerprint, self.id]
        refuse_nul([*texts, *self.labels, *self.labels.values()])
        return self


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    accepted: int = Field(
        ...,
        description="Events taken: kept, and turned into alerts by the event processor within "
        "moments (an event with an id received before counts once)",
    )


class HeartbeatOut(Schema):
    name: str
    interval_minutes: int
    grace_minutes: int
    last_beat_at: dt.datetime | None
    late_since: dt.datetime | None
