"""Backup and recovery checks: failed backups nobody opened an incident for, and restore tests
overdue by the item's policy (``cmdb.backups``' own definition)."""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Coalesce

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import config
from watchkeeper.audit.checks import Deviation, register
from watchkeeper.cmdb.backups import overdue_restore_tests
from watchkeeper.cmdb.backups.common import fmt_time
from watchkeeper.cmdb.choices import BackupResult, RelationType
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, Relation
from watchkeeper.incidents.models import Incident

FAILED = (BackupResult.FAILURE, BackupResult.MISSED)
CI_OWNERS = "the support group's manager, else the owner group's manager, else the item's owner, "


def _covering_incidents(hours: int) -> Exists:
    """An incident about the run's job or an item it protects, opened before the end of the
    window and not resolved before the failure."""
    protected = Relation.objects.filter(
        target_id=OuterRef(OuterRef("job_id")), type=RelationType.BACKED_UP_BY
    ).values("source_id")
    deadline = ExpressionWrapper(
        OuterRef("finished_at") + dt.timedelta(hours=hours), output_field=DateTimeField()
    )
    about = Q(configuration_item_id=OuterRef("job_id")) | Q(configuration_item_id__in=protected)
    ended = Coalesce(F("resolved_at"), F("closed_at"))
    still_open = Q(resolved_at__isnull=True, closed_at__isnull=True)
    covering = (
        Incident.objects.filter(about, created_at__lt=deadline)
        .annotate(ended=ended)
        .filter(still_open | Q(ended__gte=OuterRef("finished_at")))
    )
    return Exists(covering)


@register(
    "operations.failed_backup_without_incident",
    title="Failed backups without an incident",
    description="A backup run that failed (or was missed), more than AUDIT_BACKUP_INCIDENT_HOURS "
    "(24 unless configured) ago, that has no incident: none linked to the run, and none about "
    "its backup job or an item the job protects that was opened before the end of that "
    "window and not resolved before the failure.",
    process="operations",
    owner_rule=CI_OWNERS.replace("item's", "job's") + "else an incident manager",
    manager_role=Role.INCIDENT_MANAGER,
    cost="Reads the failed and missed runs (a pass over the backup runs) and, for each, the "
    "incidents of its job and protected items by the incident CI index.",
)
def failed_backup_without_incident(now: dt.datetime) -> list[Deviation]:
    hours = config.backup_incident_hours()
    runs = (
        BackupRun.objects.filter(
            result__in=FAILED,
            incident__isnull=True,
            finished_at__lte=now - dt.timedelta(hours=hours),
        )
        .exclude(_covering_incidents(hours))
        .select_related("job__support_group", "job__owner_group")
        .order_by("pk")
    )
    deviations = []
    for run in runs.iterator(chunk_size=500):
        job = run.job
        what = "was missed" if run.result == BackupResult.MISSED else "failed"
        label = f"{job.number} {job.name} {fmt_time(run.finished_at)}"
        deviations.append(
            Deviation(
                BackupRun,
                str(run.pk),
                label[:200],
                f"The backup job {job.number} {job.name} {what} at {fmt_time(run.finished_at)}"
                f" and no incident was opened within {hours} hours.",
                _ci_owners(job),
            )
        )
    return deviations


def _ci_owners(ci: ConfigurationItem) -> tuple[int | None, ...]:
    groups = (ci.support_group, ci.owner_group)
    return (*(group.manager_id if group else None for group in groups), ci.owner_id)


@register(
    "operations.restore_test_overdue",
    title="Restore tests overdue",
    description="A configuration item in use (in service or in maintenance) with a restore-test "
    "policy (restore_test_days) whose last passed restore test is older than the policy "
    "allows, or that never passed one: the CMDB's own definition of an overdue restore test.",
    process="operations",
    owner_rule=CI_OWNERS + "else a service owner",
    manager_role=Role.SERVICE_OWNER,
    cost="Two queries over the items with a policy (see cmdb.backups.overdue_restore_tests).",
)
def restore_test_overdue(now: dt.datetime) -> list[Deviation]:
    deviations = []
    statuses = overdue_restore_tests(now)
    cis = ConfigurationItem.objects.select_related("support_group", "owner_group").in_bulk(
        [status.ci.pk for status in statuses]
    )
    for status in statuses:
        ci = cis.get(status.ci.pk, status.ci)
        if status.due_at is None:
            when = "has never passed a restore test"
        else:
            when = f"was due for a restore test on {status.due_at.date().isoformat()}"
        deviations.append(
            Deviation(
                ConfigurationItem,
                str(ci.pk),
                f"{ci.number} {ci.name}"[:200],
                f"{ci.number} {ci.name} {when} (policy: every {status.policy_days} days).",
                _ci_owners(ci),
            )
        )
    return sorted(deviations, key=lambda deviation: int(deviation.object_id))
