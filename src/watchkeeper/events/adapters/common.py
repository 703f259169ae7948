"""What the tools' adapters share: checked text (no NUL, bounded), the Prometheus-style alert
(Alertmanager and Grafana send the same one), severity words mapped to ours, and times."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

from watchkeeper.events.choices import Severity

#: The most alerts one delivery may carry (Alertmanager: set ``max_alerts`` to this).
MAX_ALERTS = 1000
#: Longer resources, checks and messages are cut rather than refused: a real tool's alert is kept.
MAX_NAME = 300
MAX_MESSAGE = 10_000

#: ``labels.severity`` words (lower case) to our severities; anything else is a warning.
SEVERITY_WORDS: dict[str, str] = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.MAJOR,
    "major": Severity.MAJOR,
    "minor": Severity.MINOR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "none": Severity.INFO,
}


def _no_nul(value: Any) -> Any:
    """PostgreSQL cannot store NUL characters: refuse them anywhere in a value, keys too."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError(
                "nul_character", "Text must not contain NUL (0x00) characters"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


Text = Annotated[str, Field(max_length=100_000), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
Labels = Annotated[
    dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=10_000)]],
    Field(max_length=200),
    AfterValidator(_no_nul),
]


class ToolSchema(Schema):
    """A tool's payload: fields we do not use are ignored (tools add fields over versions)."""

    model_config = ConfigDict(extra="ignore")


class PrometheusAlert(ToolSchema):
    """One alert as Alertmanager (and Grafana, which embeds Alertmanager) sends it."""

    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    startsAt: dt.datetime | None = None  # the tool's names
    endsAt: dt.datetime | None = None
    generatorURL: Text = ""
    fingerprint: Annotated[str, Field(max_length=100), AfterValidator(_no_nul)] = ""


def cut(text: str, size: int = MAX_NAME) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def moment(value: dt.datetime | None) -> dt.datetime | None:
    """A tool's time, or None for none: Go's zero time (year 1) means "not set"; naive is UTC."""
    if value is None or value.year <= 1:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def stamp(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else ""


def severity_of(labels: dict[str, str], status: str) -> str:
    if status == "resolved":
        return Severity.OK
    return SEVERITY_WORDS.get(labels.get("severity", "").strip().lower(), Severity.WARNING)


def first_label(labels: dict[str, str], names: tuple[str, ...], default: str) -> str:
    return next((labels[name] for name in names if labels.get(name)), default)
