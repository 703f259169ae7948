"""Grafana alerting's webhook contact point (Grafana 9 and later, unified alerting).

Grafana embeds Alertmanager, and its webhook body is Alertmanager's with a few fields more
(``orgId``, ``title``, ``state``, ``message``, per alert ``values``, ``dashboardURL``…): each alert
is one event, mapped as Alertmanager's are. Grafana's alerts often carry no ``instance`` label, so
the resource is ``instance``, else ``host``, else ``job``, else the alert's name.
"""

from __future__ import annotations

from typing import Any

from ninja import Field

from watchkeeper.events.adapters.alertmanager import to_incoming
from watchkeeper.events.adapters.common import (
    MAX_ALERTS,
    PrometheusAlert,
    ShortText,
    Text,
    ToolSchema,
)
from watchkeeper.events.ingest import Incoming

RESOURCE_LABELS = ("instance", "host", "job")


class GrafanaAlert(PrometheusAlert):
    dashboardURL: Text = ""  # the tool's names
    panelURL: Text = ""
    silenceURL: Text = ""


class GrafanaIn(ToolSchema):
    """The body of a Grafana webhook notification."""

    receiver: ShortText = ""
    status: ShortText = ""
    title: Text = ""
    externalURL: Text = ""  # the tool's names
    alerts: list[GrafanaAlert] = Field(..., max_length=MAX_ALERTS)


def parse(payload: Any) -> list[Incoming]:
    """The events of one notification; ``ValidationError`` names what is wrong."""
    body = GrafanaIn.model_validate(payload)
    return [
        to_incoming(
            alert,
            RESOURCE_LABELS,
            {"receiver": body.receiver, "alert": alert.model_dump(mode="json")},
        )
        for alert in body.alerts
    ]
