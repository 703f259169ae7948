"""The jobs facade over Huey: declare jobs, enqueue them (now, on commit, at a time), run periodically.

Huey is SqliteHuey in the data directory by default and Redis when ``WATCHKEEPER_QUEUE_URL`` says so
(see ``config.queue_settings``); tests run jobs inline. Jobs must be idempotent: re-read and lock the
row they work on, because a job may run twice after a crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from huey import crontab
from huey.api import Result, TaskWrapper
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

__all__ = ["HUEY", "enqueue", "enqueue_on_commit", "job", "periodic", "schedule"]


def job(fn: Callable[..., Any]) -> TaskWrapper:
    """Declare ``fn`` a background job (its database connection is closed around each run)."""
    wrapper: TaskWrapper = db_task(name=f"{fn.__module__}.{fn.__name__}")(fn)
    return wrapper


def periodic(cron: str) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a job that the scheduler enqueues on a cron schedule ("*/5 * * * *")."""
    minute, hour, day, month, day_of_week = _cron_fields(cron)

    def declare(fn: Callable[..., Any]) -> TaskWrapper:
        schedule_ = crontab(minute, hour, day, month, day_of_week, strict=True)
        wrapper: TaskWrapper = db_periodic_task(schedule_, name=f"{fn.__module__}.{fn.__name__}")(
            fn
        )
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
    """Run ``task`` once the current transaction commits, and never if it rolls back."""
    transaction.on_commit(lambda: task(*args, **kwargs))


def schedule(task: TaskWrapper, eta: dt.datetime, *args: Any, **kwargs: Any) -> Result | None:
    """Run ``task`` at ``eta`` (an aware datetime); exact-time jobs such as near deadlines."""
    if eta.tzinfo is None:
        raise ValueError("eta must be timezone-aware")
    result: Result | None = task.schedule(args=args, kwargs=kwargs, eta=eta.astimezone(dt.UTC))
    return result
