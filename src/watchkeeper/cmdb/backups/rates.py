"""Backup success rates: of one job, and of a service through everything it rests on.

A rate is successes divided by every result in the period, missed runs included (a backup that
never ran protects nothing); with no result at all there is no rate (None), not 0 % or 100 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count

from watchkeeper.cmdb.backups.common import jobs_protecting
from watchkeeper.cmdb.choices import BackupResult
from watchkeeper.cmdb.graph import chunks, rests_on, walk
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem

#: How many items a service's walk may reach; beyond it the rate says it is partial.
WALK_LIMIT = 10_000


@dataclass(frozen=True)
class Rate:
    successes: int = 0
    failures: int = 0
    missed: int = 0

    @property
    def runs(self) -> int:
        return self.successes + self.failures + self.missed

    @property
    def ratio(self) -> float | None:
        return self.successes / self.runs if self.runs else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.successes + other.successes,
            self.failures + other.failures,
            self.missed + other.missed,
        )


@dataclass(frozen=True)
class ServiceRate:
    """A service's rate over every job protecting it or what it rests on, and each job's."""

    service: ConfigurationItem
    since: dt.datetime
    total: Rate
    jobs: list[tuple[ConfigurationItem, Rate]] = field(default_factory=list)
    partial: bool = False


def rates_by_job(job_ids: Iterable[int], since: dt.datetime) -> dict[int, Rate]:
    """Each job's rate since ``since`` (a job without results maps to an empty ``Rate``)."""
    ids = list(dict.fromkeys(job_ids))
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for chunk in chunks(ids):
        rows = (
            BackupRun.objects.filter(job_id__in=chunk, finished_at__gte=since)
            .values_list("job_id", "result")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for job_id, result, n in rows:
            counts[job_id][result] = n
    return {
        pk: Rate(
            by_result.get(BackupResult.SUCCESS, 0),
            by_result.get(BackupResult.FAILURE, 0),
            by_result.get(BackupResult.MISSED, 0),
        )
        for pk, by_result in counts.items()
    }


def job_success_rate(job: ConfigurationItem, since: dt.datetime) -> float | None:
    return rates_by_job([job.pk], since)[job.pk].ratio


def service_backup_rate(service: ConfigurationItem, since: dt.datetime) -> ServiceRate:
    """The service and everything it rests on, the jobs protecting any of them, their runs."""
    reached, partial = walk(service.pk, rests_on, limit=WALK_LIMIT)
    scope = [service.pk, *reached]
    jobs: dict[int, ConfigurationItem] = {}
    for chunk in chunks(scope):
        jobs.update((job.pk, job) for job in jobs_protecting(chunk))
    rates = rates_by_job(jobs, since)
    ordered = sorted(jobs.values(), key=lambda job: (job.name, job.pk))
    total = sum((rates[job.pk] for job in ordered), Rate())
    return ServiceRate(service, since, total, [(job, rates[job.pk]) for job in ordered], partial)


def backup_success_rate(service: ConfigurationItem, since: dt.datetime) -> float | None:
    """Successes / all results (missed included) of the jobs protecting ``service`` and what it
    rests on, since ``since``; None when there were no results."""
    return service_backup_rate(service, since).total.ratio
