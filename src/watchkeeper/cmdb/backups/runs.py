"""Backup results: reported by the jobs themselves, or written as "missed" by the sweep.

Every result is recorded in the job's history. A failed or missed run opens an incident on the
protected item's support group (see ``alerts``); a re-sent report (same ``external_id``) counts
once, and a missed slot is written once even when two sweeps run at the same moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from watchkeeper.cmdb.backups import alerts
from watchkeeper.cmdb.backups.common import (
    MAX_BIGINT,
    MAX_INT,
    aware_past,
    bounded,
    fmt_time,
    job_schedule,
    require_backup_job,
    text,
)
from watchkeeper.cmdb.choices import BackupResult, CiStatus
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.cmdb.schedule import last_due
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.records import lock_current

#: A run that ends a little before its due time (a clock running fast) still counts for it.
EARLY_TOLERANCE = dt.timedelta(minutes=5)
REPORTED = (BackupResult.SUCCESS, BackupResult.FAILURE)


def report_backup_run(
    job: ConfigurationItem,
    *,
    result: str,
    finished_at: dt.datetime,
    started_at: dt.datetime | None = None,
    duration_seconds: int | None = None,
    size_bytes: int | None = None,
    message: str = "",
    external_id: str = "",
    acting_user: Any,
    channel: str = Channel.API,
) -> tuple[BackupRun, bool]:
    """Record one result of ``job``; returns the run and whether it is new.

    A report whose ``external_id`` this job already sent returns the stored run unchanged (no
    second incident), so a job may safely re-send after a timeout."""
    require_permission(acting_user, CmdbPermission.OPERATE_BACKUPS)
    require_backup_job(job, "job")
    run = _new_run(job, result, finished_at, started_at, duration_seconds, size_bytes)
    run.message, run.external_id = text(message, "message"), text(external_id, "external_id", 100)
    run.reported_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            lock_current(job, None)  # one report of a job at a time: one incident, not two
            existing = _reported(job, run.external_id)
            if existing is not None:
                return existing, False
            run.save()
            _record(run, acting_user, channel)
            if run.result == BackupResult.FAILURE:
                alerts.raise_incident(run, caller=acting_user, channel=channel)
            else:
                alerts.note_recovery(run)
    except IntegrityError:  # the same external_id, stored meanwhile (SQLite has no row locks)
        existing = _reported(job, run.external_id)
        if existing is None:
            raise
        return existing, False
    return run, True


def _new_run(
    job: ConfigurationItem,
    result: str,
    finished_at: dt.datetime,
    started_at: dt.datetime | None,
    duration_seconds: int | None,
    size_bytes: int | None,
) -> BackupRun:
    """The run with its values checked; every problem names its field."""
    if result not in REPORTED:
        raise ValidationError({"result": f"Use one of {', '.join(REPORTED)}."})
    now = timezone.now()
    finished_at = aware_past(finished_at, "finished_at", now)
    if started_at is not None:
        started_at = aware_past(started_at, "started_at", now)
        if started_at > finished_at:
            raise ValidationError({"started_at": "A run cannot start after it finished."})
    duration = bounded(duration_seconds, "duration_seconds", MAX_INT)
    if duration is None and started_at is not None:
        duration = min(int((finished_at - started_at).total_seconds()), MAX_INT)
    return BackupRun(
        job=job,
        result=result,
        finished_at=finished_at,
        started_at=started_at,
        duration_seconds=duration,
        size_bytes=bounded(size_bytes, "size_bytes", MAX_BIGINT),
    )


def _reported(job: ConfigurationItem, external_id: str) -> BackupRun | None:
    if not external_id:
        return None
    return BackupRun.objects.filter(job=job, external_id=external_id).first()


def _record(run: BackupRun, acting_user: Any, channel: str) -> None:
    summary = {"result": run.result, "finished_at": run.finished_at}
    if run.external_id:
        summary["external_id"] = run.external_id
    record_change(
        run.job,
        action=f"backup {run.get_result_display().lower()}",
        actor=acting_user,
        channel=channel,
        changes={"backup_run": (None, summary)},
    )


def sweep_missed_backups(now: dt.datetime) -> list[BackupRun]:
    """Write a "missed" run for every job in service whose last due run (grace included) has no
    result, and open or annotate its incident. Running it again changes nothing."""
    in_service = ConfigurationItem.objects.backup_jobs().filter(status=CiStatus.IN_SERVICE)
    jobs = list(in_service)
    latest = dict(
        BackupRun.objects.filter(job__in=in_service.values("pk"))
        .values("job")
        .annotate(last=Max("finished_at"))
        .values_list("job", "last")
    )
    missed = []
    for job in jobs:
        due = missed_slot(job, now, latest.get(job.pk))
        if due is not None and (run := _write_missed(job, due)) is not None:
            missed.append(run)
    return missed


def missed_slot(
    job: ConfigurationItem, now: dt.datetime, last_finished: dt.datetime | None
) -> dt.datetime | None:
    """The due time ``job`` missed, if any: the latest one whose grace has passed, when no result
    (of any kind, a "missed" row included) finished since.

    A run counts for the slot it follows: it must end after the previous due time, and at most
    ``EARLY_TOLERANCE`` before this one, so one run never covers two slots."""
    schedule = job_schedule(job)
    if schedule is None:
        return None
    due = last_due(schedule.expression, now - schedule.grace)
    if due < job.created_at:
        return None  # the job did not exist yet
    previous = last_due(schedule.expression, due)
    window_start = max(due - EARLY_TOLERANCE, previous + dt.timedelta(microseconds=1))
    if last_finished is not None and last_finished >= window_start:
        return None
    return due


def _write_missed(job: ConfigurationItem, due: dt.datetime) -> BackupRun | None:
    """Insert the "missed" row for ``due``; None if another sweep wrote it first."""
    run = BackupRun(
        job=job,
        result=BackupResult.MISSED,
        finished_at=due,
        message=f"No result reported for the run due at {fmt_time(due)}.",
    )
    try:
        with transaction.atomic():
            lock_current(job, None)
            run.save()  # the partial unique constraint refuses a second row for this slot
            _record(run, None, Channel.JOB)
            alerts.raise_incident(run, caller=None, channel=Channel.JOB)
    except IntegrityError:
        return None
    return run
