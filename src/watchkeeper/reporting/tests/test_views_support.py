"""Helpers the dashboard tests share (no tests here): a fixed "today", services, and incidents
placed in March 2026 with the values a figure needs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from html import unescape
from typing import Any

import pytest
import time_machine

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident

UTC = dt.UTC
#: "Now" in every dashboard test: the last day of March 2026, so "30d" is 2026-03-02..03-31.
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def new_service(name: str, owner: User | None = None, **fields: Any) -> ConfigurationItem:
    """A business service (through the CMDB action), owned by ``owner``."""
    return create_ci(
        name=name, ci_class=CiClass.BUSINESS_SERVICE, acting_user=None, owner=owner, **fields
    )


def resolve(incident: Incident, after_hours: float, **fields: Any) -> Incident:
    """Mark ``incident`` resolved ``after_hours`` after it was opened (as the facts read it)."""
    Incident.objects.filter(pk=incident.pk).update(
        state=IncidentState.RESOLVED,
        resolved_at=incident.created_at + dt.timedelta(hours=after_hours),
        **fields,
    )
    incident.refresh_from_db()
    return incident


def place(
    make_dated_incident: Callable[..., Incident],
    days: list[str],
    *,
    group: SupportGroup | None = None,
    service: ConfigurationItem | None = None,
    **fields: Any,
) -> list[Incident]:
    """One incident opened on each of ``days`` with the group, service and fields given."""
    return [
        make_dated_incident(at(day), assignment_group=group, service=service, **fields)
        for day in days
    ]


def text_of(html: str, name: str) -> str:
    """The text inside the first element with ``data-testid=name`` (tags removed)."""
    pattern = rf'<(\w+)[^>]*data-testid="{re.escape(name)}"[^>]*>(.*?)</\1>'
    match = re.search(pattern, html, re.S)
    assert match, f"no element {name!r}"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", match.group(2))).split())


def tile(html: str, key: str) -> tuple[str, str]:
    """A headline tile's value and its link (``""`` when it has none)."""
    block = html.split(f'data-testid="kpi-{key}"', 1)[1].split("</li>", 1)[0]
    link = re.search(r'<a class="kpi-tile__value" href="([^"]+)"', block)
    value = re.search(r'data-testid="kpi-value">([^<]*)<', block)
    assert value, f"no value in tile {key}"
    return value.group(1).strip(), unescape(link.group(1)) if link else ""
