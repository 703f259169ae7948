"""Event factories: ``make_source`` (with its token), ``event`` (an ``Incoming``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.events.ingest import Incoming
from watchkeeper.events.models import EventSource
from watchkeeper.events.sources import create_source

T0 = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_source(db: None) -> Callable[..., tuple[EventSource, str]]:
    def make(name: str = "prometheus", **fields: Any) -> tuple[EventSource, str]:
        return create_source(name=name, acting_user=None, **fields)

    return make


def event(
    resource: str = "web01", check: str = "disk", severity: str = "critical", minute: int = 0,
    **fields: Any,
) -> Incoming:  # fmt: skip
    return Incoming(
        resource=resource, check=check, severity=severity,
        occurred_at=T0 + dt.timedelta(minutes=minute), **fields,
    )  # fmt: skip
