"""Reporting factories: incidents placed in time, and the facts rebuilt from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.tests.conftest import make_incident  # noqa: F401 - a fixture

UTC = dt.UTC


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("alex", Role.AGENT)


@pytest.fixture
def make_dated_incident(
    make_incident: Callable[..., Incident],  # noqa: F811
) -> Callable[..., Incident]:
    """An incident made by the real action, then opened at ``opened`` with ``fields`` set as
    given (a test of figures needs the times and values exactly as it says)."""

    def make(opened: dt.datetime, **fields: Any) -> Incident:
        incident = make_incident()
        Incident.objects.filter(pk=incident.pk).update(created_at=opened, **fields)
        incident.refresh_from_db()
        return incident

    return make
