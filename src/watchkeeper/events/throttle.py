"""Overload protection for the ingestion endpoints: at most ``EVENTS_MAX_CONCURRENT`` requests of
this process ingest at once (``WATCHKEEPER_EVENTS_MAX_CONCURRENT``, default 16), and none while
more than ``EVENTS_MAX_BACKLOG`` accepted events wait for the processor (``events.spool``). A
request beyond either is answered at once with 429 and ``Retry-After`` instead of queueing until
it times out: the monitoring tool keeps the event and sends it again, so nothing is lost.

``throttled`` wraps the whole operation (before authentication and parsing), so a refused request
costs next to nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja.decorators import decorate_view

from watchkeeper.core.api import error
from watchkeeper.events import spool

RETRY_AFTER_SECONDS = 1
BACKLOG_RETRY_AFTER_SECONDS = 5
_lock = threading.Lock()
_gate: tuple[int, threading.BoundedSemaphore] | None = None
View = TypeVar("View", bound=Callable[..., Any])


def _semaphore() -> threading.BoundedSemaphore:
    """The process's semaphore, made again if the setting changed (tests override it)."""
    global _gate
    limit = int(settings.EVENTS_MAX_CONCURRENT)
    with _lock:
        if _gate is None or _gate[0] != limit:
            _gate = (limit, threading.BoundedSemaphore(limit))
        return _gate[1]


@contextmanager
def slot() -> Iterator[bool]:
    """Take one of the ingestion slots if one is free; yields whether it was taken."""
    semaphore = _semaphore()
    taken = semaphore.acquire(blocking=False)
    try:
        yield taken
    finally:
        if taken:
            semaphore.release()


def _limit(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(run)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if spool.overloaded():
            return _busy(
                request,
                "Too many events are waiting to be processed; send again shortly.",
                BACKLOG_RETRY_AFTER_SECONDS,
            )
        with slot() as taken:
            if taken:
                return run(request, *args, **kwargs)
        return _busy(
            request,
            "Too many events are being ingested at once; send again shortly.",
            RETRY_AFTER_SECONDS,
        )

    return limited


def _busy(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    response = error(request, 429, message)
    response["Retry-After"] = str(retry_after)
    return response


def throttled(view: View) -> View:
    """Decorate an ingestion operation (below its ``@router.post``)."""
    decorated: View = decorate_view(_limit)(view)
    return decorated
