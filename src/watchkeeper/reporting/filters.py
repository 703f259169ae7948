"""The filters every dashboard and report takes: a period of days and four dimensions.

The period is ``[start, end)`` in days of the reporting time zone (``end`` excluded), so
"March" is ``2026-03-01 .. 2026-04-01``. Query strings spell them ``start``, ``end``
(``YYYY-MM-DD``; ``end`` inclusive there, as people write periods), ``service``, ``group``,
``priority`` and ``category``; ``period=7d|30d|90d|365d|all`` is a shortcut for the usual ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.utils import timezone

from watchkeeper.incidents.choices import Priority

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "30d"
#: "All time" starts here: before any incident a Watchkeeper can hold (the UCI log is 2016).
EPOCH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    service: int | None = None
    group: int | None = None
    priority: int | None = None
    category: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def dimensions(self) -> dict[str, int]:
        """The dimension filters that are set, by fact field name."""
        values = {
            "service_id": self.service,
            "group_id": self.group,
            "priority": self.priority,
            "category_id": self.category,
        }
        return {name: value for name, value in values.items() if value is not None}

    def with_period(self, start: dt.date, end: dt.date) -> Filters:
        return replace(self, start=start, end=end)

    def query(self, **extra: object) -> str:
        """The query string that gives these filters back (``end`` inclusive, as parsed)."""
        params: dict[str, object] = {
            "start": self.start.isoformat(),
            "end": (self.end - dt.timedelta(days=1)).isoformat(),
        }
        for name in ("service", "group", "priority", "category"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        params.update({key: value for key, value in extra.items() if value is not None})
        return urlencode(params)


def today() -> dt.date:
    return timezone.localdate()


def parse_filters(params: Mapping[str, str], *, default_period: str = DEFAULT_PERIOD) -> Filters:
    """Filters from a query string; a ``ValidationError`` names the parameter that is wrong."""
    errors: dict[str, str] = {}
    start, end = _period(params, default_period, errors)
    numbers = {name: _number(params, name, errors) for name in ("service", "group", "category")}
    priority = _number(params, "priority", errors)
    if priority is not None and priority not in Priority.values:
        errors["priority"] = "Priority must be 1 to 5."
    if errors:
        raise ValidationError(errors)
    return Filters(start=start, end=end, priority=priority, **numbers)


def _period(
    params: Mapping[str, str], default: str, errors: dict[str, str]
) -> tuple[dt.date, dt.date]:
    end = today() + dt.timedelta(days=1)
    period = params.get("period") or ("" if params.get("start") else default)
    if period == "all":
        start = EPOCH
    elif period:
        if period not in PERIODS:
            errors["period"] = f"Period must be one of {', '.join([*PERIODS, 'all'])}."
            return end - dt.timedelta(days=30), end
        start = end - dt.timedelta(days=PERIODS[period])
    else:
        start = _date(params, "start", errors) or end - dt.timedelta(days=30)
    if params.get("end"):
        last = _date(params, "end", errors)
        end = last + dt.timedelta(days=1) if last else end
    if start >= end and "start" not in errors and "end" not in errors:
        errors["end"] = "The end of the period must not be before its start."
    return start, end


def _date(params: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(params[name])
    except ValueError:
        errors[name] = f"{name.capitalize()} must be a date written YYYY-MM-DD."
        return None


def _number(params: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    value = params.get(name, "")
    if value in ("", None):
        return None
    if not str(value).isdigit():
        errors[name] = f"{name.capitalize()} must be a number (an id)."
        return None
    return int(value)
