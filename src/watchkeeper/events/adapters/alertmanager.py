"""Prometheus Alertmanager's webhook (version 4): each alert of a group is one event.

Alertmanager re-sends a group at every ``repeat_interval`` and after failures, so each event's id
is the alert's fingerprint, status and start (or end, once resolved): a repeat counts once.
"""

from __future__ import annotations

from typing import Any

from ninja import Field
from pydantic import field_validator

from watchkeeper.events.adapters.common import (
    MAX_ALERTS,
    MAX_MESSAGE,
    PrometheusAlert,
    ShortText,
    Text,
    ToolSchema,
    cut,
    first_label,
    moment,
    severity_of,
    stamp,
)
from watchkeeper.events.ingest import Incoming

VERSION = "4"


class AlertmanagerIn(ToolSchema):
    """The body of an Alertmanager webhook notification."""

    version: str = Field(..., description='Webhook version: "4"')
    status: ShortText = ""
    receiver: ShortText = ""
    groupKey: Text = ""  # the tool's names
    externalURL: Text = ""
    alerts: list[PrometheusAlert] = Field(..., max_length=MAX_ALERTS)

    @field_validator("version")
    @classmethod
    def _version_4(cls, value: str) -> str:
        if value != VERSION:
            raise ValueError(f"Watchkeeper takes Alertmanager webhook version 4, not {value!r}")
        return value


def to_incoming(alert: PrometheusAlert, resource_labels: tuple[str, ...], raw: Any) -> Incoming:
    """One Prometheus-style alert as an event (Grafana's adapter uses it too)."""
    labels = alert.labels
    check = labels.get("alertname") or "alert"
    resolved = alert.status == "resolved"
    at = moment(alert.endsAt if resolved else alert.startsAt) or moment(alert.startsAt)
    notes = alert.annotations
    return Incoming(
        resource=cut(first_label(labels, resource_labels, check)),
        check=cut(check),
        severity=severity_of(labels, alert.status),
        message=cut(notes.get("summary") or notes.get("description") or "", MAX_MESSAGE),
        labels=labels,
        occurred_at=at,
        fingerprint=alert.fingerprint,
        external_id=f"{alert.fingerprint}:{alert.status}:{stamp(at)}" if alert.fingerprint else "",
        raw=raw,
    )


def parse(payload: Any) -> list[Incoming]:
    """The events of one notification; ``ValidationError`` names what is wrong."""
    body = AlertmanagerIn.model_validate(payload)
    return [
        to_incoming(
            alert,
            ("instance", "job"),
            {"receiver": body.receiver, "alert": alert.model_dump(mode="json")},
        )
        for alert in body.alerts
    ]
