"""Checks other apps add to ordering: each is called with the person an item is for and the
catalog item, and returns a reason to refuse it, or None. Access management adds separation of
duties this way (``access.sod.order_check``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any, Any], "str | None"]
_checks: list[Check] = []


def register(check: Check) -> None:
    if check not in _checks:
        _checks.append(check)


def problems(recipient: Any, catalog_item: Any) -> list[str]:
    return [found for check in _checks if (found := check(recipient, catalog_item))]
