"""The jobs facade over Huey: declare jobs, enqueue them (now, on commit, at a time), periodic jobs.

Huey is SqliteHuey in the data directory by default and Redis when ``WATCHKEEPER_QUEUE_URL`` says
so (see ``config.queue_settings``); tests run jobs inline. Jobs must be idempotent: re-read and lock
the row they work on, because a job may run twice after a crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, overload

from django.db import transaction
from huey import crontab
from huey.api import Result, TaskWrapper
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

__all__ = ["HUEY", "enqueue", "enqueue_on_commit", "job", "periodic", "schedule"]


@overload
def job(fn: Callable[..., Any], /) -> TaskWrapper: ...


@overload
def job(
    *, retries: int = 0, retry_delay: int = 0
) -> Callable[[Callable[..., Any]], TaskWrapper]: ...


def job(
    fn: Callable[..., Any] | None = None, /, *, retries: int = 0, retry_delay: int = 0
) -> TaskWrapper | Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare ``fn`` a background job (its database connection is closed around each run).

    ``@job`` runs once; ``@job(retries=3, retry_delay=60)`` runs again, ``retry_delay`` seconds
    later, after each failure (an exception), up to ``retries`` times.
    """

    def declare(function: Callable[..., Any]) -> TaskWrapper:
        # Huey registers it as "<module>.<function>", the name workers look it up by.
        wrapper: TaskWrapper = db_task(retries=retries, retry_delay=retry_delay)(function)
        return wrapper

    return declare(fn) if fn is not None else declare


def periodic(cron: str) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a job that the scheduler enqueues on a cron schedule ("*/5 * * * *", in UTC).

    A malformed expression raises ValueError here, where it is written, not when it would run.
    """
    minute, hour, day, month, day_of_week = _cron_fields(cron)
    schedule_ = crontab(minute, hour, day, month, day_of_week, strict=True)

    def declare(fn: Callable[..., Any]) -> TaskWrapper:
        wrapper: TaskWrapper = db_periodic_task(schedule_)(fn)
        return wrapper

    return declare


def _cron_fields(cron: str) -> tuple[str, str, str, str, str]:
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression needs 5 fields, got {cron!r}")
    return fields[0], fields[1], fields[2], fields[3], fields[4]


def enqueue(task: TaskWrapper, *args: Any, **kwargs: Any) -> Result | None:
    """Run ``task`` in the background as soon as a worker is free."""
    result: Result | None = task(*args, **kwargs)
    return result


def enqueue_on_commit(task: TaskWrapper, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` once the current transaction commits, and never if it rolls back.

    The change is committed by then: if the queue cannot take the job, the failure is logged
    (``django.db.backends.base``) rather than raised, so the caller does not report a committed
    change as failed.
    """
    transaction.on_commit(lambda: task(*args, **kwargs), robust=True)


def schedule(task: TaskWrapper, eta: dt.datetime, *args: Any, **kwargs: Any) -> Result | None:
    """Run ``task`` at ``eta`` (an aware datetime); exact-time jobs such as near deadlines."""
    if eta.tzinfo is None:
        raise ValueError("eta must be timezone-aware")
    result: Result | None = task.schedule(args=args, kwargs=kwargs, eta=eta.astimezone(dt.UTC))
    return result
