"""Request and response bodies of the backups API (``cmdb.api_backups``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict

from watchkeeper.cmdb.backups import JobSummary, Rate, RestoreStatus, ServiceRate
from watchkeeper.cmdb.backups.common import MAX_BIGINT, MAX_INT, MAX_TEXT
from watchkeeper.cmdb.choices import CiStatus
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, RestoreTest
from watchkeeper.core.api import MAX_OFFSET, ApiSchema

TIME = "ISO 8601; without a time zone, UTC. Not in the future (5 minutes of clock skew allowed)."


class Strict(ApiSchema):
    """A body that refuses fields it does not know (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


class BackupRunIn(Strict):
    result: Literal["success", "failure"] = Field(
        ..., description="A missed run is written by Watchkeeper itself, never reported"
    )
    finished_at: dt.datetime = Field(..., description=f"When the run ended. {TIME}")
    started_at: dt.datetime | None = Field(None, description=f"When it started. {TIME}")
    duration_seconds: int | None = Field(
        None, ge=0, le=MAX_INT, description="Taken from started_at when not given"
    )
    size_bytes: int | None = Field(None, ge=0, le=MAX_BIGINT, description="Size of the backup")
    message: str = Field("", max_length=MAX_TEXT, description="The job's own summary or error")
    external_id: str = Field(
        "",
        max_length=100,
        description="The job's own run id: a report sent again with the same id is stored once "
        "(the answer is then 200 with the stored run, not 201)",
    )


class RestoreTestIn(Strict):
    tested_at: dt.datetime = Field(..., description=f"When the restore was done. {TIME}")
    result: Literal["passed", "failed"]
    time_to_restore_seconds: int | None = Field(None, ge=0, le=MAX_INT)
    notes: str = Field("", max_length=MAX_TEXT)
    backup_job: str | None = Field(
        None, max_length=32, description="The job restored from: its number (CI0000012) or id"
    )


class PageQuery(Schema):
    limit: int = Field(
        settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class JobQuery(PageQuery):
    status: CiStatus | None = Field(
        None, description="Only jobs in this status (default: all but retired)"
    )


class RateQuery(Schema):
    days: int = Field(30, ge=1, le=3650, description="The period: this many days up to now")


class CiRef(Schema):
    number: str
    name: str
    ci_class: str


class BackupRunOut(Schema):
    id: int
    job: str = Field(..., description="The job's number")
    result: str = Field(..., description="success, failure or missed")
    finished_at: dt.datetime = Field(..., description="For a missed run: when it was due")
    started_at: dt.datetime | None
    duration_seconds: int | None
    size_bytes: int | None
    message: str
    external_id: str
    incident: str | None = Field(None, description="The incident it opened or was noted on")
    reported_by: str | None = Field(None, description="Username; null for missed runs")
    created_at: dt.datetime

    @staticmethod
    def resolve_job(run: BackupRun) -> str:
        return run.job.number

    @staticmethod
    def resolve_incident(run: BackupRun) -> str | None:
        return run.incident.number if run.incident is not None else None

    @staticmethod
    def resolve_reported_by(run: BackupRun) -> str | None:
        return run.reported_by.username if run.reported_by is not None else None


class BackupRunPage(Schema):
    count: int
    items: list[BackupRunOut]


class RateOut(Schema):
    successes: int
    failures: int
    missed: int
    runs: int
    rate: float | None = Field(..., description="successes / runs (missed included); null: no runs")


class BackupJobOut(Schema):
    number: str
    name: str
    status: str
    schedule: str = Field(..., description="cron expression, UTC; empty if none is usable")
    schedule_description: str
    grace_minutes: int | None
    retention_days: int | None
    destination: str
    tool: str
    support_group: str | None
    last_run: BackupRunOut | None
    next_due: dt.datetime | None
    success_rate_30_days: RateOut
    protects: list[CiRef]


class BackupJobPage(Schema):
    count: int
    items: list[BackupJobOut]


class RestoreTestOut(Schema):
    id: int
    ci: str
    backup_job: str | None
    tested_at: dt.datetime
    result: str
    time_to_restore_seconds: int | None
    notes: str
    recorded_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_ci(test: RestoreTest) -> str:
        return test.ci.number

    @staticmethod
    def resolve_backup_job(test: RestoreTest) -> str | None:
        return test.backup_job.number if test.backup_job is not None else None

    @staticmethod
    def resolve_recorded_by(test: RestoreTest) -> str | None:
        return test.recorded_by.username if test.recorded_by is not None else None


class RestoreStatusOut(Schema):
    policy_days: int | None = Field(..., description="A successful test at least every N days")
    last_success_at: dt.datetime | None
    last_tested_at: dt.datetime | None
    due_at: dt.datetime | None = Field(..., description="null when never tested successfully")
    overdue: bool = Field(..., description="True with a policy and no success within it")


class RestoreTestsOut(Schema):
    status: RestoreStatusOut
    count: int
    items: list[RestoreTestOut]


class JobRateOut(RateOut):
    job: CiRef


class ServiceRateOut(RateOut):
    service: CiRef
    since: dt.datetime
    days: int
    partial: bool = Field(..., description="The service rests on too many items: some are left out")
    jobs: list[JobRateOut]


def rate_out(rate: Rate) -> dict[str, Any]:
    return {
        "successes": rate.successes,
        "failures": rate.failures,
        "missed": rate.missed,
        "runs": rate.runs,
        "rate": rate.ratio,
    }


def ci_ref(ci: ConfigurationItem) -> dict[str, Any]:
    return {"number": ci.number, "name": ci.name, "ci_class": ci.ci_class}


def job_out(summary: JobSummary) -> dict[str, Any]:
    job, attributes = summary.job, summary.job.attributes or {}
    return {
        "number": job.number,
        "name": job.name,
        "status": job.status,
        "schedule": summary.schedule,
        "schedule_description": summary.schedule_text,
        "grace_minutes": summary.grace_minutes,
        "retention_days": attributes.get("retention_days"),
        "destination": attributes.get("destination", ""),
        "tool": attributes.get("tool", ""),
        "support_group": job.support_group.name if job.support_group is not None else None,
        "last_run": summary.last_run,
        "next_due": summary.next_due,
        "success_rate_30_days": rate_out(summary.rate),
        "protects": [ci_ref(ci) for ci in summary.protects],
    }


def status_out(status: RestoreStatus) -> dict[str, Any]:
    return {
        "policy_days": status.policy_days,
        "last_success_at": status.last_success.tested_at if status.last_success else None,
        "last_tested_at": status.last_test.tested_at if status.last_test else None,
        "due_at": status.due_at,
        "overdue": status.overdue,
    }


def service_rate_out(rate: ServiceRate, days: int) -> dict[str, Any]:
    return {
        **rate_out(rate.total),
        "service": ci_ref(rate.service),
        "since": rate.since,
        "days": days,
        "partial": rate.partial,
        "jobs": [{**rate_out(job_rate), "job": ci_ref(job)} for job, job_rate in rate.jobs],
    }
