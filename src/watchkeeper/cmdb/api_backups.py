"""The backups API: jobs report their results, people record restore tests, anyone on the staff
reads jobs, runs, restore-test status and a service's backup success rate.

Items are named by number (``CI0000012``) or id; an unknown one is a 404. Reporting and
recording need ``cmdb.operate_backups`` (resolvers, service owners); reading ``cmdb.view_cis``.
Writes go through ``cmdb.backups``, so a reported failure opens the same incident as any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from watchkeeper.cmdb import backups
from watchkeeper.cmdb.api_backup_schemas import (
    BackupJobPage,
    BackupRunIn,
    BackupRunOut,
    JobQuery,
    PageQuery,
    RateQuery,
    RestoreTestIn,
    RestoreTestOut,
    RestoreTestsOut,
    ServiceRateOut,
    job_out,
    service_rate_out,
    status_out,
)
from watchkeeper.cmdb.backups.common import require_backup_job
from watchkeeper.cmdb.choices import CiStatus
from watchkeeper.cmdb.lookup import ci_for_field, ci_or_404
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, RestoreTest
from watchkeeper.cmdb.permissions import CmdbPermission as P
from watchkeeper.core.api import caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut

router = Router()  # the tag comes from the parent CMDB router
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
JOB = "/cmdb/backup-jobs/{ref}"
RUN_RELATED = ("job", "incident", "reported_by")


def _job(ref: str) -> ConfigurationItem:
    job = ci_or_404(ref)
    require_backup_job(job, "job")
    return job


@router.post(
    f"{JOB}/runs",
    response={200: BackupRunOut, 201: BackupRunOut, **ERRORS},
    operation_id="report_backup_run",
    summary="Report a backup job's result",
    description="A backup job (or the script around it) reports how its run ended. A failure "
    "opens an incident on the support group of the most critical item the job protects, or "
    "adds a work note to the job's incident that is still open; the first success after a "
    "failure adds a note (the incident is not resolved automatically). 201: stored; 200: this "
    "job already reported this `external_id`, and the stored run is returned unchanged.",
)
@requires(P.OPERATE_BACKUPS)
def report_run(request: HttpRequest, ref: str, payload: BackupRunIn) -> Status[BackupRun]:
    run, created = backups.report_backup_run(
        _job(ref), acting_user=caller(request), channel=Channel.API, **payload.dict()
    )
    return Status(
        201 if created else 200, BackupRun.objects.select_related(*RUN_RELATED).get(pk=run.pk)
    )


@router.get(
    f"{JOB}/runs",
    response={200: list[BackupRunOut], **ERRORS},
    operation_id="list_backup_runs",
    summary="A backup job's runs, newest first",
)
@requires(P.VIEW_CIS)
@paginate
def list_runs(request: HttpRequest, ref: str) -> Any:
    runs = BackupRun.objects.filter(job=_job(ref)).select_related(*RUN_RELATED)
    return runs.order_by("-finished_at", "-pk")


@router.get(
    "/cmdb/backup-jobs",
    response={200: BackupJobPage, **ERRORS},
    operation_id="list_backup_jobs",
    summary="Backup jobs with their last result, next due time and success rate",
    description="Each job with its schedule (and its description), grace, retention, "
    "destination, tool, last run, next due time, success rate over the last 30 days (missed "
    "runs count against it) and the items it protects, by name.",
)
@requires(P.VIEW_CIS)
def list_jobs(request: HttpRequest, filters: Query[JobQuery]) -> dict[str, Any]:
    jobs = ConfigurationItem.objects.backup_jobs().select_related("support_group")
    if filters.status:
        jobs = jobs.filter(status=filters.status)
    else:
        jobs = jobs.exclude(status=CiStatus.RETIRED)
    page = list(jobs.order_by("name", "pk")[filters.offset : filters.offset + filters.limit])
    summaries = backups.summarise(page, timezone.now())
    return {"count": jobs.count(), "items": [job_out(summary) for summary in summaries]}


@router.post(
    "/cmdb/cis/{ref}/restore-tests",
    response={201: RestoreTestOut, **ERRORS},
    operation_id="record_restore_test",
    summary="Record a restore test of an item",
    description="The item was restored from its backups (`passed`) or could not be (`failed`). "
    "Recorded in the item's history; a passed test restarts its restore-test policy.",
)
@requires(P.OPERATE_BACKUPS)
def record_test(request: HttpRequest, ref: str, payload: RestoreTestIn) -> Status[RestoreTest]:
    ci = ci_or_404(ref)
    values = payload.dict()
    job_ref = values.pop("backup_job")
    job = ci_for_field(job_ref, "backup_job") if job_ref else None
    test = backups.record_restore_test(
        ci, backup_job=job, acting_user=caller(request), channel=Channel.API, **values
    )
    related = RestoreTest.objects.select_related("ci", "backup_job", "recorded_by")
    return Status(201, related.get(pk=test.pk))


@router.get(
    "/cmdb/cis/{ref}/restore-tests",
    response={200: RestoreTestsOut, **ERRORS},
    operation_id="list_restore_tests",
    summary="An item's restore tests, newest first, and where it stands against its policy",
)
@requires(P.VIEW_CIS)
def list_tests(request: HttpRequest, ref: str, page: Query[PageQuery]) -> dict[str, Any]:
    ci = ci_or_404(ref)
    tests = RestoreTest.objects.filter(ci=ci).select_related("ci", "backup_job", "recorded_by")
    rows = list(tests.order_by("-tested_at", "-pk")[page.offset : page.offset + page.limit])
    status = backups.restore_test_status(ci, timezone.now())
    return {"status": status_out(status), "count": tests.count(), "items": rows}


@router.get(
    "/cmdb/services/{ref}/backup-rate",
    response={200: ServiceRateOut, **ERRORS},
    operation_id="get_service_backup_rate",
    summary="A service's backup success rate",
    description="Over the last `days` days: the results of every backup job that protects the "
    "service or anything it rests on (depends on, runs on, hosted on, connects to; its parts), "
    "successes divided by all results, missed runs included; and each job's own rate.",
)
@requires(P.VIEW_CIS)
def service_rate(request: HttpRequest, ref: str, query: Query[RateQuery]) -> dict[str, Any]:
    service = ci_or_404(ref)
    if not service.is_service:
        kind = service.get_ci_class_display().lower()
        raise ValidationError({"ref": f"{service.number} is a {kind}, not a service."})
    since = timezone.now() - dt.timedelta(days=query.days)
    return service_rate_out(backups.service_backup_rate(service, since), query.days)
