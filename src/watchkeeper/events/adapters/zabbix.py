"""Zabbix, through a webhook media type: Zabbix posts what the media type's script sends, so
Watchkeeper defines the body (docs/events-sources.md has the script)::

    {"event_id": "4711", "host": "web01", "trigger": "High CPU utilization",
     "severity": "High", "status": "PROBLEM", "message": "CPU 97%",
     "time": "2026-11-26T08:00:00Z", "tags": [{"tag": "service", "value": "shop"}]}

``event_id`` is the problem's ``{EVENT.ID}``, the same in its recovery message: it is the alert's
fingerprint, so the recovery closes the alert the problem opened.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field
from pydantic import field_validator

from watchkeeper.events.adapters.common import (
    MAX_MESSAGE,
    MAX_NAME,
    ShortText,
    Text,
    ToolSchema,
    cut,
    moment,
)
from watchkeeper.events.choices import Severity
from watchkeeper.events.ingest import Incoming

#: Zabbix severities ({EVENT.SEVERITY}, or {EVENT.NSEVERITY} 0-5) to ours.
SEVERITIES: dict[str, str] = {
    "not classified": Severity.INFO,
    "information": Severity.INFO,
    "warning": Severity.WARNING,
    "average": Severity.MINOR,
    "high": Severity.MAJOR,
    "disaster": Severity.CRITICAL,
}
BY_NUMBER = dict(zip("012345", SEVERITIES.values(), strict=True))


class ZabbixTag(ToolSchema):
    tag: ShortText
    value: Annotated[Text, Field(max_length=10_000)] = ""


class ZabbixIn(ToolSchema):
    """What Watchkeeper's Zabbix media type script posts."""

    event_id: Annotated[ShortText, Field(min_length=1, max_length=64)]
    host: Annotated[Text, Field(min_length=1)]
    trigger: Annotated[Text, Field(min_length=1)]
    severity: ShortText = Field(..., description="Not classified, Information, Warning, …, 0-5")
    status: Literal["PROBLEM", "RESOLVED", "OK"] = Field(..., description="OK means RESOLVED")
    message: Text = ""
    time: dt.datetime | None = Field(None, description="When it happened (default: now)")
    tags: list[ZabbixTag] = Field(default_factory=list, max_length=200)

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        word = value.strip().lower()
        if word not in SEVERITIES and word not in BY_NUMBER:
            raise ValueError(
                "Use a Zabbix severity: Not classified, Information, Warning, Average, High, "
                "Disaster (or 0-5)"
            )
        return word


def _labels(tags: list[ZabbixTag]) -> dict[str, str]:
    """Zabbix tags as labels; a tag given more than once keeps its values, comma-separated."""
    labels: dict[str, str] = {}
    for tag in tags:
        labels[tag.tag] = f"{labels[tag.tag]},{tag.value}" if tag.tag in labels else tag.value
    return labels


def parse(payload: Any) -> list[Incoming]:
    """The one event of a Zabbix message; ``ValidationError`` names what is wrong."""
    body = ZabbixIn.model_validate(payload)
    problem = body.status == "PROBLEM"
    severity = SEVERITIES.get(body.severity) or BY_NUMBER[body.severity]
    return [
        Incoming(
            resource=cut(body.host, MAX_NAME),
            check=cut(body.trigger, MAX_NAME),
            severity=severity if problem else Severity.OK,
            message=cut(body.message, MAX_MESSAGE),
            labels=_labels(body.tags),
            occurred_at=moment(body.time),
            fingerprint=f"zabbix:{body.event_id}",
            external_id=f"{body.event_id}:{'problem' if problem else 'resolved'}",
            raw=body.model_dump(mode="json"),
        )
    ]
