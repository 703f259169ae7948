"""Cron schedules of backup jobs: checking an expression and finding the run that was due."""

from __future__ import annotations

import datetime as dt

from cronsim import CronSim, CronSimError

_ANCHOR = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def schedule_problem(expression: str) -> str | None:
    """What is wrong with a cron ``expression`` (five fields, UTC), or None if it is usable."""
    try:
        CronSim(expression, _ANCHOR)
    except CronSimError as error:
        return f"is not a cron expression ({error})"
    return None


def last_due(expression: str, before: dt.datetime) -> dt.datetime:
    """The latest scheduled time strictly before ``before``."""
    return next(CronSim(expression, before.astimezone(dt.UTC), reverse=True))


def next_due(expression: str, after: dt.datetime) -> dt.datetime:
    """The first scheduled time strictly after ``after``."""
    return next(CronSim(expression, after.astimezone(dt.UTC)))


def describe(expression: str) -> str:
    """A sentence for people ("At 02:00 every day"); the expression itself if it cannot tell."""
    try:
        return f"{CronSim(expression, _ANCHOR).explain()} (UTC)"
    except (CronSimError, ValueError):
        return expression
