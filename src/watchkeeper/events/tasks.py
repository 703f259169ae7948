"""Event jobs: shelved alerts come back when their time is up; silent heartbeats and due active
checks every minute; raw payloads past their retention nightly."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.jobs import periodic
from watchkeeper.events import actions
from watchkeeper.events.checks import run_due_checks
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.heartbeats import sweep_heartbeats
from watchkeeper.events.models import Alert
from watchkeeper.events.retention import purge_raw


def unshelve_due() -> int:
    """Un-shelve every alert whose ``shelved_until`` has passed; return how many.

    Idempotent: each alert is re-read locked by the action, and one un-shelved meanwhile (by a
    person, or by an earlier run) is skipped."""
    now = timezone.now()
    due = Alert.objects.filter(status=AlertStatus.SHELVED, shelved_until__lte=now)
    done = 0
    for alert in due.order_by("pk").iterator():
        try:
            actions.unshelve(alert, acting_user=None, channel=Channel.JOB, due_at=now)
        except ValidationError:
            continue  # un-shelved or shelved again meanwhile
        done += 1
    return done


@periodic("* * * * *")
def unshelve_alerts() -> None:
    unshelve_due()


@periodic("* * * * *")
def watch_heartbeats() -> int:
    """Silent heartbeats raise their events (``heartbeats.sweep_heartbeats``)."""
    return sweep_heartbeats()


@periodic("* * * * *")
def run_active_checks() -> int:
    """The active checks whose time has come (``checks.run_due_checks``)."""
    return run_due_checks()


@periodic("23 4 * * *")
def purge_raw_payloads() -> int:
    """Raw payloads older than ``WATCHKEEPER_EVENTS_RAW_DAYS`` (``retention.purge_raw``)."""
    return purge_raw()
