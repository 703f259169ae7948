"""Backup and recovery operations: results of backup jobs, the sweep that notices missed runs,
restore tests against each item's policy, and backup success rates.

Backup jobs are configuration items of class ``backup_job``; "<item> backed up by <job>" says
what a job protects. Views, the API and the periodic jobs call only what is exported here.
"""

from watchkeeper.cmdb.backups.alerts import open_incident_of
from watchkeeper.cmdb.backups.common import job_schedule, jobs_protecting, protected_by
from watchkeeper.cmdb.backups.overview import RATE_DAYS, JobSummary, summarise
from watchkeeper.cmdb.backups.rates import (
    Rate,
    ServiceRate,
    backup_success_rate,
    job_success_rate,
    rates_by_job,
    service_backup_rate,
)
from watchkeeper.cmdb.backups.restore import (
    RestoreStatus,
    ci_url,
    notify_overdue_restore_tests,
    overdue_restore_tests,
    record_restore_test,
    restore_test_status,
)
from watchkeeper.cmdb.backups.runs import report_backup_run, sweep_missed_backups

__all__ = [
    "RATE_DAYS",
    "JobSummary",
    "Rate",
    "RestoreStatus",
    "ServiceRate",
    "backup_success_rate",
    "ci_url",
    "job_schedule",
    "job_success_rate",
    "jobs_protecting",
    "notify_overdue_restore_tests",
    "open_incident_of",
    "overdue_restore_tests",
    "protected_by",
    "rates_by_job",
    "record_restore_test",
    "report_backup_run",
    "restore_test_status",
    "service_backup_rate",
    "summarise",
    "sweep_missed_backups",
]
