"""Operations KPIs: how much event noise the de-duplication removes, how often backups succeed
and how many protected items have a recent successful restore test. docs/kpis.md, "Other
processes"; under a service filter each counts the service and everything it rests on."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q

from watchkeeper.cmdb.backups.common import jobs_protecting
from watchkeeper.cmdb.backups.restore import IN_USE
from watchkeeper.cmdb.choices import BackupResult, RestoreResult
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem
from watchkeeper.events.models import Alert, Event
from watchkeeper.reporting.process_kpis_base import Kpi, Window, drill, percent


def event_noise_kpi(window: Window) -> Kpi:
    """1 - alerts opened / events received: the share of events that opened no new alert."""
    events = Event.objects.filter(**window.during("received_at"))
    alerts = Alert.objects.filter(**window.during("created_at"))
    if window.service_id is not None:
        events = events.filter(alert__configuration_item_id__in=window.items)
        alerts = alerts.filter(configuration_item_id__in=window.items)
    received, opened = events.count(), alerts.count()
    value = round(100 * (1 - opened / received), 1) if received else None
    return Kpi(
        "event_noise_reduction",
        "Event noise reduction",
        value,
        "%",
        numerator=opened,
        denominator=received,
        drill_url=drill("events:console"),
    )


def backup_success_kpi(window: Window) -> Kpi:
    """Successful runs / all runs (failed and missed included) that finished in the period."""
    runs = BackupRun.objects.filter(**window.during("finished_at"))
    if window.service_id is not None:
        runs = runs.filter(job__in=jobs_protecting(window.items))
    counts = runs.aggregate(
        total=Count("pk"), ok=Count("pk", filter=Q(result=BackupResult.SUCCESS))
    )
    return Kpi(
        "backup_success",
        "Backup success",
        percent(counts["ok"], counts["total"]),
        "%",
        numerator=counts["ok"],
        denominator=counts["total"],
        drill_url=drill("cmdb:backups"),
    )


def restore_coverage_kpi(window: Window) -> Kpi:
    """Items in use with a restore-test policy that were not overdue at the period's end (a
    passed test within their ``restore_test_days`` before it), as ``cmdb.backups.restore``
    says "overdue"; of all such items."""
    at = window.measured_until
    items = ConfigurationItem.objects.filter(restore_test_days__gt=0, status__in=IN_USE)
    if window.service_id is not None:
        items = items.filter(pk__in=window.items)
    passed = Q(restore_tests__result=RestoreResult.PASSED, restore_tests__tested_at__lt=at)
    rows = items.annotate(last_passed=Max("restore_tests__tested_at", filter=passed))
    policies = list(rows.values_list("restore_test_days", "last_passed"))
    covered = sum(
        1
        for days, last in policies
        if last is not None and last + dt.timedelta(days=days or 0) >= at
    )
    return Kpi(
        "restore_test_coverage",
        "Restore-test coverage",
        percent(covered, len(policies)),
        "%",
        numerator=covered,
        denominator=len(policies),
        drill_url=drill("cmdb:backups"),
    )
