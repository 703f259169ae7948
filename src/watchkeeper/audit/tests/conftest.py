"""Factories the audit tests share: incidents (``make_incident``), CIs (``make_ci``,
``relate``), catalog items (``make_item``), and ``deviations(key)``: what a check finds now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from watchkeeper.audit.checks import CHECKS, Deviation
from watchkeeper.cmdb.tests.conftest import make_ci, relate
from watchkeeper.incidents.tests.conftest import make_incident
from watchkeeper.requests.tests.conftest import make_item

__all__ = ["deviations", "make_ci", "make_incident", "make_item", "relate"]


@pytest.fixture
def deviations(db: None) -> Callable[..., list[Deviation]]:
    def find(key: str, now: dt.datetime | None = None) -> list[Deviation]:
        return list(CHECKS[key].find(now or timezone.now()))

    return find
