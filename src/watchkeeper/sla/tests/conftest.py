"""SLA fixtures: an office calendar in Berlin, a resolution SLA on it, the real job queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.incidents.tests.conftest import (  # noqa: F401 (fixtures)
    agent,
    desk,
    make_category,
    make_incident,
    manager,
    requester,
)
from watchkeeper.sla import actions
from watchkeeper.sla.models import Calendar, SlaDefinition

BERLIN_OFFICE = [(day, dt.time(9), dt.time(17)) for day in range(5)]


@pytest.fixture
def office(db: None) -> Calendar:
    """Monday to Friday 09:00-17:00 in Berlin."""
    return actions.save_calendar(
        None, acting_user=None, hours=BERLIN_OFFICE, name="Berlin office", time_zone="Europe/Berlin"
    )


@pytest.fixture
def make_definition(office: Calendar) -> Callable[..., SlaDefinition]:
    def make(name: str = "Resolution", **values: Any) -> SlaDefinition:
        values.setdefault("metric", "resolution")
        values.setdefault("calendar", office)
        values.setdefault("pause_reasons", ["awaiting_caller"])
        values.setdefault("thresholds", [50, 75, 90])
        values.setdefault("targets", {None: 480, 1: 120})
        return actions.save_definition(None, acting_user=None, name=name, **values)

    return make


def berlin(*args: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))
