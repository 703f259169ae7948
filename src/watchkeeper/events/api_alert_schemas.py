"""Request and response schemas of the alerts API (``events.api_alerts``)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from watchkeeper.core.api import MAX_ID, MAX_OFFSET, ApiFilterSchema, ApiSchema
from watchkeeper.events.choices import AlertStatus, Severity


class AlertFilter(ApiFilterSchema):
    status: list[AlertStatus] | None = Field(
        None, description="Repeatable; default the live ones (open, acknowledged, shelved)"
    )
    severity: list[Severity] | None = Field(None, description="Repeatable: ?severity=critical&…")
    source: str | None = Field(None, max_length=100, description="The source's name")
    resource: str | None = Field(None, max_length=300, description="The resource, exactly")
    ci: str | None = Field(None, max_length=32, description="The CI's number (CI0000012)")
    q: str | None = Field(
        None, max_length=200, description="Text in the number, resource, check or message"
    )
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class AlertOut(Schema):
    number: str
    status: str
    severity: str
    source: str
    key: str
    resource: str
    check: str
    message: str
    labels: dict[str, str]
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    configuration_item: str | None = Field(None, description="The CI's number")
    incident: str | None = Field(None, description="The incident's number")
    shelved_until: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class AlertPage(Schema):
    count: int
    count_capped: bool
    items: list[AlertOut]


class EventOut(Schema):
    severity: str
    resource: str
    check: str
    message: str
    labels: dict[str, str]
    occurred_at: dt.datetime
    received_at: dt.datetime
    external_id: str


class EventPage(Schema):
    count: int
    count_capped: bool
    items: list[EventOut]


class Strict(ApiSchema):
    model_config = ConfigDict(extra="forbid")


class AlertVersioned(Strict):
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="The version you read; a stale one answers 409"
    )


class ShelveIn(AlertVersioned):
    until: dt.datetime | None = Field(
        None, description="Shelve until then (at most 30 days ahead); or give hours"
    )
    hours: int | None = Field(None, ge=1, le=720, description="Shelve for this many hours")

    @field_validator("until")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        """A time without a time zone is read as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class CloseIn(AlertVersioned):
    note: str = Field("", max_length=2000, description="Why it was closed by hand")


class LinkIn(AlertVersioned):
    incident: str | None = Field(
        ..., max_length=16, description="The incident's number (INC0001234); null unlinks"
    )


class NoiseOut(Schema):
    days: int
    since: dt.datetime
    events: int = Field(..., description="Events received in the window")
    alerts: int = Field(..., description="Alerts opened in the window")
    incidents: int = Field(..., description="Incidents opened in the window with an alert")
    events_per_alert: float | None
    alerts_per_incident: float | None
    reduction: float | None = Field(
        ..., description="Per cent of events that did not become an incident"
    )
