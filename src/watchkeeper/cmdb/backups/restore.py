"""Restore tests: the proof that an item's backups can be restored, and the policy that asks for
one every ``restore_test_days`` days.

An item with a policy and no successful test is overdue. When an item becomes overdue, the
daily check tells its support group once (in-app, and by e-mail as each person prefers) and
writes "restore test overdue" in the item's history: that entry is what makes it once per
overdue period, and it shows on the item's page who was told and when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from watchkeeper.cmdb.backups.common import (
    MAX_INT,
    aware_past,
    bounded,
    label,
    require_backup_job,
    text,
)
from watchkeeper.cmdb.choices import CiClass, CiStatus, RestoreResult
from watchkeeper.cmdb.models import ConfigurationItem, RestoreTest
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import history_of, record_change
from watchkeeper.core.notifications import notify, register_kind

RECORDED = "restore test recorded"
#: Items whose restore tests are watched: planned and retired items hold no data to restore.
IN_USE = (CiStatus.IN_SERVICE, CiStatus.MAINTENANCE)
OVERDUE = "restore test overdue"

register_kind(
    "restore_tests",
    "Restore tests due",
    "A restore test of an item your group supports is overdue.",
)


def record_restore_test(
    ci: ConfigurationItem,
    *,
    tested_at: dt.datetime,
    result: str,
    time_to_restore_seconds: int | None = None,
    notes: str = "",
    backup_job: ConfigurationItem | None = None,
    acting_user: Any,
    channel: str = Channel.WEB,
) -> RestoreTest:
    """Record that ``ci`` was restored from its backups (passed) or could not be (failed)."""
    require_permission(acting_user, CmdbPermission.OPERATE_BACKUPS)
    if ci.ci_class == CiClass.BACKUP_JOB:
        raise ValidationError({"ci": "Record restore tests on the item the job protects."})
    if result not in RestoreResult.values:
        raise ValidationError({"result": f"Use one of {', '.join(RestoreResult.values)}."})
    if backup_job is not None:
        require_backup_job(backup_job, "backup_job")
    test = RestoreTest(
        ci=ci,
        backup_job=backup_job,
        tested_at=aware_past(tested_at, "tested_at", timezone.now()),
        result=result,
        time_to_restore_seconds=bounded(
            time_to_restore_seconds, "time_to_restore_seconds", MAX_INT
        ),
        notes=text(notes, "notes"),
        recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        test.save()
        summary = {
            "result": test.result,
            "tested_at": test.tested_at,
            "time_to_restore_seconds": test.time_to_restore_seconds,
            "backup_job": label(backup_job) if backup_job is not None else None,
        }
        record_change(
            ci,
            action=RECORDED,
            actor=acting_user,
            channel=channel,
            changes={"restore_test": (None, summary)},
        )
    return test


@dataclass(frozen=True)
class RestoreStatus:
    """Where an item stands against its restore-test policy at ``now``."""

    ci: ConfigurationItem
    policy_days: int | None
    last_success: RestoreTest | None
    last_test: RestoreTest | None
    due_at: dt.datetime | None
    overdue: bool

    @property
    def never_tested(self) -> bool:
        return self.last_success is None


def _status(
    ci: ConfigurationItem,
    last_success: RestoreTest | None,
    last_test: RestoreTest | None,
    now: dt.datetime,
) -> RestoreStatus:
    days = ci.restore_test_days
    due_at = None
    if days and last_success is not None:
        due_at = last_success.tested_at + dt.timedelta(days=days)
    overdue = bool(days) and (due_at is None or due_at < now)
    return RestoreStatus(ci, days, last_success, last_test, due_at, overdue)


def restore_test_status(ci: ConfigurationItem, now: dt.datetime) -> RestoreStatus:
    """The last test, the last successful one, when the next is due and whether it is overdue
    (an item with a policy that was never tested successfully is overdue)."""
    tests = RestoreTest.objects.filter(ci=ci).select_related("backup_job", "recorded_by")
    last_success = tests.filter(result=RestoreResult.PASSED).order_by("-tested_at", "-pk").first()
    return _status(ci, last_success, tests.order_by("-tested_at", "-pk").first(), now)


def overdue_restore_tests(now: dt.datetime) -> list[RestoreStatus]:
    """Every item in use with a policy whose restore test is overdue, longest overdue first
    (never tested first of all). Two queries, whatever the number of items."""
    items = (
        ConfigurationItem.objects.filter(restore_test_days__gt=0)
        .filter(status__in=IN_USE)
        .select_related("support_group")
        .annotate(
            last_passed=Max(
                "restore_tests__tested_at", filter=Q(restore_tests__result=RestoreResult.PASSED)
            )
        )
    )
    candidates = [
        ci
        for ci in items
        if ci.last_passed is None
        or ci.last_passed + dt.timedelta(days=ci.restore_test_days or 0) < now
    ]
    last = {ci.pk: ci.last_passed for ci in candidates if ci.last_passed is not None}
    tests = RestoreTest.objects.filter(
        ci__in=list(last), result=RestoreResult.PASSED, tested_at__in=set(last.values())
    ).order_by("pk")
    passed = {test.ci_id: test for test in tests if test.tested_at == last[test.ci_id]}
    statuses = [_status(ci, passed.get(ci.pk), None, now) for ci in candidates]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(statuses, key=lambda s: (s.due_at or oldest, s.ci.name))


def ci_url(ci: ConfigurationItem) -> str:
    """The item's page, or the backups overview while the item pages do not exist."""
    try:
        return reverse("cmdb:detail", args=[ci.number])
    except NoReverseMatch:
        return reverse("cmdb:backups")


def _already_told(status: RestoreStatus) -> bool:
    """Whether this overdue period was announced: an "overdue" entry after the last success."""
    entries = history_of(status.ci).filter(action=OVERDUE)
    if status.last_success is not None:
        entries = entries.filter(at__gte=status.last_success.created_at)
    return entries.exists()


def _recipients(ci: ConfigurationItem) -> list[Any]:
    """The support group's members; else the owner group's; else the owner."""
    for group in (ci.support_group, ci.owner_group):
        if group is not None and group.is_active:
            members = list(group.members.filter(is_active=True))
            if members:
                return members
    return [ci.owner] if ci.owner is not None and ci.owner.is_active else []


def notify_overdue_restore_tests(now: dt.datetime) -> int:
    """Tell each newly overdue item's people, once per overdue period; returns how many items."""
    told = 0
    for status in overdue_restore_tests(now):
        with transaction.atomic():
            ConfigurationItem.objects.select_for_update().filter(pk=status.ci.pk).first()
            if _already_told(status):
                continue
            people = _recipients(status.ci)
            when = status.due_at.date().isoformat() if status.due_at else "never tested"
            record_change(
                status.ci,
                action=OVERDUE,
                channel=Channel.JOB,
                changes={
                    "restore_test_due": (None, when),
                    "notified": (None, [str(p) for p in people]),
                },
            )
            url = ci_url(status.ci)
            notify(
                people,
                kind="restore_tests",
                subject=f"Restore test overdue: {label(status.ci)}",
                template="cmdb/email/restore_test_overdue.txt",
                context={"ci": status.ci, "status": status, "url": url},
                url=url,
            )
            told += 1
    return told
