"""What the backup actions and queries share: checking inputs, a job's schedule, what it
protects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from watchkeeper.cmdb.choices import CiClass, Criticality, RelationType
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.schedule import schedule_problem

#: A reported time may be this far ahead of ours: the reporting host's clock may run fast.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
DEFAULT_GRACE_MINUTES = 60
MAX_TEXT = 10_000
MAX_INT = 2**31 - 1  # PositiveIntegerField on PostgreSQL
MAX_BIGINT = 2**63 - 1
#: Criticality from most to least critical: the first protected item in this order leads.
CRITICALITY_ORDER = (Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW)


def fmt_time(moment: dt.datetime | None) -> str:
    """A time as people read it in notes and descriptions (always UTC, said so)."""
    if moment is None:
        return "unknown"
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def label(ci: ConfigurationItem) -> str:
    return f"{ci.number} {ci.name}"


def require_backup_job(ci: ConfigurationItem, field: str) -> None:
    """Refuse, naming ``field``, anything that is not a backup job."""
    if ci.ci_class != CiClass.BACKUP_JOB:
        raise ValidationError(
            {field: f"{label(ci)} is a {ci.get_ci_class_display().lower()}, not a backup job."}
        )


def aware_past(moment: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    """``moment`` made time-zone aware (a naive time is UTC) and not in the future."""
    if not isinstance(moment, dt.datetime):
        raise ValidationError({field: "Give a date and time (ISO 8601)."})
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > now + FUTURE_TOLERANCE:
        raise ValidationError({field: f"{fmt_time(moment)} is in the future."})
    return moment


def bounded(value: int | None, field: str, maximum: int) -> int | None:
    """A whole number from 0 to ``maximum``, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationError({field: f"Must be a whole number from 0 to {maximum}."})
    return value


def text(value: str | None, field: str, maximum: int = MAX_TEXT) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > maximum:
        raise ValidationError({field: f"At most {maximum:,} characters."})
    return cleaned


@dataclass(frozen=True)
class JobSchedule:
    """A job's cron expression (UTC) and how long after a due time its result may take."""

    expression: str
    grace: dt.timedelta


def job_schedule(job: ConfigurationItem) -> JobSchedule | None:
    """The job's usable schedule, or None (no schedule, or one that is not a cron expression)."""
    attributes = job.attributes or {}
    expression = attributes.get("schedule")
    if not isinstance(expression, str) or schedule_problem(expression):
        return None
    grace = attributes.get("grace_minutes")
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        grace = DEFAULT_GRACE_MINUTES
    return JobSchedule(expression, dt.timedelta(minutes=grace))


def protected_by(job: ConfigurationItem) -> list[ConfigurationItem]:
    """What ``job`` protects ("<item> backed up by <job>"), most critical first, then by name."""
    items = ConfigurationItem.objects.filter(
        outgoing__target=job, outgoing__type=RelationType.BACKED_UP_BY
    ).select_related("support_group")
    rank: dict[str, int] = {value: index for index, value in enumerate(CRITICALITY_ORDER)}
    return sorted(items, key=lambda ci: (rank.get(ci.criticality, len(rank)), ci.name, ci.pk))


def jobs_protecting(ci_ids: list[int]) -> QuerySet[ConfigurationItem]:
    """The backup jobs that protect any of ``ci_ids`` (each once)."""
    job_ids = Relation.objects.filter(
        source_id__in=ci_ids,
        type=RelationType.BACKED_UP_BY,
        target__ci_class=CiClass.BACKUP_JOB,
    ).values("target_id")
    return ConfigurationItem.objects.filter(pk__in=job_ids)
