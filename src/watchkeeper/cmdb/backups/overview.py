"""One line per backup job, as the overview page, the item pages and the API show it: schedule,
last result, next due time, success rate and what it protects, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from watchkeeper.cmdb.backups.common import job_schedule
from watchkeeper.cmdb.backups.rates import Rate, rates_by_job
from watchkeeper.cmdb.choices import RelationType
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, Relation
from watchkeeper.cmdb.schedule import describe, next_due

RATE_DAYS = 30


@dataclass(frozen=True)
class JobSummary:
    job: ConfigurationItem
    schedule: str  # the cron expression, "" when the job has no usable one
    schedule_text: str
    grace_minutes: int | None
    next_due: dt.datetime | None
    last_run: BackupRun | None
    rate: Rate
    protects: list[ConfigurationItem] = field(default_factory=list)


def _last_runs(job_ids: list[int]) -> dict[int, BackupRun]:
    latest = BackupRun.objects.filter(job=OuterRef("pk")).order_by("-finished_at", "-pk")
    run_ids = (
        ConfigurationItem.objects.filter(pk__in=job_ids)
        .annotate(last_run=Subquery(latest.values("pk")[:1]))
        .values_list("last_run", flat=True)
    )
    runs = BackupRun.objects.filter(pk__in=[pk for pk in run_ids if pk is not None])
    return {run.job_id: run for run in runs.select_related("incident")}


def _protected(job_ids: list[int]) -> dict[int, list[ConfigurationItem]]:
    relations = Relation.objects.filter(target_id__in=job_ids, type=RelationType.BACKED_UP_BY)
    protects: dict[int, list[ConfigurationItem]] = defaultdict(list)
    for relation in relations.select_related("source").order_by("source__name"):
        protects[relation.target_id].append(relation.source)
    return protects


def summarise(jobs: Sequence[ConfigurationItem], now: dt.datetime) -> list[JobSummary]:
    """A summary of each of ``jobs`` (in their order); the rate covers the last 30 days."""
    ids = [job.pk for job in jobs]
    last_runs, protects = _last_runs(ids), _protected(ids)
    rates = rates_by_job(ids, now - dt.timedelta(days=RATE_DAYS))
    summaries = []
    for job in jobs:
        schedule = job_schedule(job)
        summaries.append(
            JobSummary(
                job=job,
                schedule=schedule.expression if schedule else "",
                schedule_text=describe(schedule.expression) if schedule else "no valid schedule",
                grace_minutes=int(schedule.grace.total_seconds() // 60) if schedule else None,
                next_due=next_due(schedule.expression, now) if schedule else None,
                last_run=last_runs.get(job.pk),
                rate=rates[job.pk],
                protects=protects.get(job.pk, []),
            )
        )
    return summaries
