"""Connectivity checks shared by ``/healthz`` and ``watchkeeper check``."""

from __future__ import annotations

from django.db import connection
from huey.contrib.djhuey import HUEY


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


def queue_status() -> str:
    """Asks the queue's storage how many jobs wait; this touches Redis or the SQLite file."""
    try:
        HUEY.pending_count()
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"
