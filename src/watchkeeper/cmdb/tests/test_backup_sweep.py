"""The sweep that notices missed backups: once per slot, never a covered one, concurrent-safe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb import backups, tasks
from watchkeeper.cmdb.actions import update_ci
from watchkeeper.cmdb.backups import runs as runs_module
from watchkeeper.cmdb.choices import BackupResult, CiClass, CiStatus, RelationType
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of
from watchkeeper.core.jobs import HUEY
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.models import Activity, Incident

UTC = dt.UTC
#: The job is created the day before, at noon; it is due every night at 02:00 (UTC).
CREATED = dt.datetime(2026, 1, 4, 12, 0, tzinfo=UTC)
DUE = dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def sweep(moment: dt.datetime) -> list[BackupRun]:
    with at(moment):
        return backups.sweep_missed_backups(timezone.now())


@pytest.fixture
def job(make_ci: Any, relate: Any, make_group: Any) -> ConfigurationItem:
    """A nightly job protecting a critical database supported by the DBA group."""
    with at(CREATED):
        db = make_ci(
            "crm-db", CiClass.DATABASE, criticality="critical", support_group=make_group("DBA")
        )
        nightly = make_ci("crm-nightly", CiClass.BACKUP_JOB, attributes={"schedule": "0 2 * * *"})
        relate(db, RelationType.BACKED_UP_BY, nightly)
    return nightly


def report(job: ConfigurationItem, moment: dt.datetime, result: str = "success") -> None:
    with at(moment):
        backups.report_backup_run(job, result=result, finished_at=moment, acting_user=None)


def test_a_missed_run_is_detected_once_after_its_grace(job):
    # when the sweep runs within the grace (60 minutes), after it, and again
    within = sweep(DUE + dt.timedelta(minutes=30))
    after = sweep(DUE + dt.timedelta(minutes=61))
    again = sweep(DUE + dt.timedelta(minutes=66))

    # then one "missed" row for the 02:00 slot, and one incident for the DBA group
    assert (within, again) == ([], [])
    [missed] = after
    assert (missed.result, missed.finished_at) == (BackupResult.MISSED, DUE)
    incident = Incident.objects.get()
    assert missed.incident == incident
    assert incident.short_description == "Backup missed: crm-nightly (crm-db)"
    assert str(incident.assignment_group) == "DBA" and incident.channel == Channel.JOB
    assert incident.caller.username == "watchkeeper-system" and not incident.caller.is_active
    assert "no result for its run due at 2026-01-05 02:00 UTC" in incident.description
    assert history_of(job).latest("sequence").action == "backup missed"


def test_a_reported_run_covers_its_slot(job):
    # given a success reported at 02:40
    report(job, DUE + dt.timedelta(minutes=40))

    # when the sweep runs after the grace, then nothing is missed
    assert sweep(DUE + dt.timedelta(minutes=61)) == []
    # and a failure covers its slot too (it has its own incident)
    report(job, DUE + dt.timedelta(days=1, minutes=10), "failure")
    assert sweep(DUE + dt.timedelta(days=1, minutes=61)) == []
    assert BackupRun.objects.filter(result=BackupResult.MISSED).count() == 0


def test_a_run_counts_for_the_slot_it_follows_not_the_next(job):
    # given yesterday's run was reported (late, at 23:00) and nothing since
    report(job, DUE - dt.timedelta(hours=3))

    # when the sweep runs after today's grace
    missed = sweep(DUE + dt.timedelta(minutes=61))

    # then today's slot is missed: yesterday's run does not cover it
    assert [run.finished_at for run in missed] == [DUE]


def test_a_run_ending_just_before_its_due_time_counts(job):
    # given a host whose clock runs two minutes fast
    report(job, DUE - dt.timedelta(minutes=2))
    assert sweep(DUE + dt.timedelta(minutes=61)) == []


def test_a_job_created_after_the_due_time_is_not_missed(make_ci):
    # given a job created at 02:30, after the 02:00 slot
    with at(DUE + dt.timedelta(minutes=30)):
        make_ci("late", CiClass.BACKUP_JOB, attributes={"schedule": "0 2 * * *"})

    # when the sweep runs at 03:05, then nothing is missed
    assert sweep(DUE + dt.timedelta(minutes=65)) == []


def test_the_grace_of_a_job_is_its_own(make_ci):
    # given a job with 10 minutes of grace
    with at(CREATED):
        make_ci(
            "quick", CiClass.BACKUP_JOB, attributes={"schedule": "0 2 * * *", "grace_minutes": 10}
        )

    # then it is missed 11 minutes after its due time
    assert sweep(DUE + dt.timedelta(minutes=9)) == []
    assert len(sweep(DUE + dt.timedelta(minutes=11))) == 1


def test_jobs_out_of_service_are_not_swept(job):
    # given the job is in maintenance
    with at(CREATED):
        update_ci(job, {"status": CiStatus.MAINTENANCE}, acting_user=None)

    # then nothing is missed
    assert sweep(DUE + dt.timedelta(hours=2)) == []


def test_a_second_missed_night_is_noted_on_the_open_incident(job):
    # given a missed night whose incident is still open
    sweep(DUE + dt.timedelta(minutes=61))

    # when the next night is missed too
    [second] = sweep(DUE + dt.timedelta(days=1, minutes=61))

    # then the same incident holds a note, signed by the monitor account
    incident = Incident.objects.get()
    assert second.incident == incident
    note = Activity.objects.get(incident=incident, kind=ActivityKind.WORK_NOTE)
    assert note.body == "Backup missed again: no result for the run due at 2026-01-06 02:00 UTC."
    assert note.author.username == "watchkeeper-system"


def test_a_concurrent_sweep_is_stopped_by_the_constraint(job, monkeypatch):
    # given one sweep wrote the missed slot
    sweep(DUE + dt.timedelta(minutes=61))

    # when another sweep, which had not seen that row, writes the same slot
    monkeypatch.setattr(runs_module, "missed_slot", lambda job, now, last: DUE)
    written = sweep(DUE + dt.timedelta(minutes=62))

    # then the database refuses the second row, quietly: one row, one incident, no note
    assert written == []
    assert BackupRun.objects.filter(result=BackupResult.MISSED).count() == 1
    assert Incident.objects.count() == 1
    assert not Activity.objects.filter(kind=ActivityKind.WORK_NOTE).exists()


def test_a_missed_run_counts_in_the_rate(job):
    sweep(DUE + dt.timedelta(minutes=61))
    report(job, DUE + dt.timedelta(hours=3))
    assert backups.job_success_rate(job, DUE - dt.timedelta(days=1)) == 0.5


def test_the_periodic_jobs_are_scheduled_and_run(job, make_ci, make_user):
    # given it is 03:05, after the grace, and an item never restore-tested under a policy
    owner = make_user("olga", Role.SERVICE_OWNER)
    with at(CREATED):
        make_ci("files", CiClass.STORAGE, restore_test_days=30, owner=owner)

    # when the scheduler asks what is due, and the jobs run
    due_at_five = {task.name for task in HUEY.read_periodic(dt.datetime(2026, 1, 5, 3, 5))}
    due_daily = {task.name for task in HUEY.read_periodic(dt.datetime(2026, 1, 5, 6, 13))}
    with at(DUE + dt.timedelta(minutes=65)):
        swept = tasks.sweep_missed_backups.call_local()
        told = tasks.check_restore_tests.call_local()

    # then the sweep runs every 5 minutes, the restore-test check daily, each doing its work
    assert any(name.endswith("sweep_missed_backups") for name in due_at_five)
    assert any(name.endswith("check_restore_tests") for name in due_daily)
    assert (swept, told) == (1, 1)
