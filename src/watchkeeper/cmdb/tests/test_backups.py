"""Backup results and the incidents they open, restore tests and their policy, success rates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.cmdb import backups
from watchkeeper.cmdb.actions import update_ci
from watchkeeper.cmdb.choices import CiClass, CiStatus, RelationType
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem, RestoreTest
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.models import Notification
from watchkeeper.incidents.actions import resolve
from watchkeeper.incidents.choices import ActivityKind, Priority
from watchkeeper.incidents.models import Activity, Incident

UTC = dt.UTC


@pytest.fixture
def resolver(make_user: Callable[..., User]) -> User:
    return make_user("rob", Role.RESOLVER)


@pytest.fixture
def setup(make_ci: Any, relate: Any, make_group: Any, make_user: Any) -> dict[str, Any]:
    """A nightly job protecting a highly critical database (DBA) and a low one (Apps)."""
    dba_member = make_user("dana", Role.RESOLVER)
    dba = make_group("DBA", members=(dba_member,))
    apps = make_group("Apps")
    db = make_ci("mail-db", CiClass.DATABASE, criticality="high", support_group=dba)
    app = make_ci("mail-app", CiClass.APPLICATION, criticality="low", support_group=apps)
    job = make_ci("nightly-mail", CiClass.BACKUP_JOB, support_group=apps)
    relate(db, RelationType.BACKED_UP_BY, job)
    relate(app, RelationType.BACKED_UP_BY, job)
    return {"job": job, "db": db, "app": app, "dba": dba, "apps": apps, "dba_member": dba_member}


def report(job: ConfigurationItem, user: Any, result: str = "failure", **values: Any) -> Any:
    values.setdefault("finished_at", timezone.now() - dt.timedelta(minutes=1))
    return backups.report_backup_run(
        job, result=result, acting_user=user, channel=Channel.API, **values
    )


def notes_on(incident: Incident) -> list[str]:
    notes = Activity.objects.filter(incident=incident, kind=ActivityKind.WORK_NOTE)
    return list(notes.order_by("pk").values_list("body", flat=True))


def test_a_failed_run_opens_one_incident_on_the_protected_items_group(setup, resolver):
    # given a job protecting a high and a low criticality item
    job, db = setup["job"], setup["db"]

    # when a resolver's script reports a failure
    run, created = report(job, resolver, message="disk full", size_bytes=0)

    # then one incident is open for the most critical item's group, on that item
    incident = Incident.objects.get()
    assert created and run.incident == incident
    assert (incident.assignment_group, incident.configuration_item) == (setup["dba"], db)
    assert incident.short_description == "Backup failed: nightly-mail (mail-db and 1 more)"
    assert "CI" in incident.description and "mail-app" in incident.description
    assert "disk full" in incident.description
    assert incident.priority == Priority.MODERATE  # high criticality: impact 2 x urgency 2
    assert incident.caller == resolver and incident.channel == Channel.API
    # and the job's history has the result, the group its notification
    assert history_of(job).latest("sequence").action == "backup failed"
    assert Notification.objects.filter(user=setup["dba_member"]).exists()
    assert verify_history() == []


def test_a_second_failure_adds_a_note_instead_of_a_second_incident(setup, resolver):
    # given a failure with its open incident
    report(setup["job"], resolver, finished_at=timezone.now() - dt.timedelta(hours=2))

    # when the job fails again
    run, _ = report(setup["job"], resolver, message="still full")

    # then the same incident holds a note about it
    incident = Incident.objects.get()
    assert run.incident == incident
    assert len(notes_on(incident)) == 1
    assert notes_on(incident)[0].startswith("Backup failed again at")
    assert "still full" in notes_on(incident)[0]


def test_a_failure_after_the_incident_was_resolved_opens_a_new_one(setup, resolver):
    # given a failure whose incident was resolved
    first, _ = report(setup["job"], resolver, finished_at=timezone.now() - dt.timedelta(hours=2))
    resolve(first.incident, code="solved_permanently", notes="Disk grown", acting_user=resolver)

    # when the job fails again
    second, _ = report(setup["job"], resolver)

    # then a new incident is opened
    assert Incident.objects.count() == 2
    assert second.incident != first.incident


def test_a_success_after_a_failure_is_noted_once_and_resolves_nothing(setup, resolver):
    # given a failure with its open incident
    failed, _ = report(setup["job"], resolver, finished_at=timezone.now() - dt.timedelta(hours=3))

    # when the job succeeds, and again later
    first, _ = report(
        setup["job"], resolver, "success", finished_at=timezone.now() - dt.timedelta(hours=2)
    )
    report(setup["job"], resolver, "success")

    # then one note says so, and the incident stays open
    incident = Incident.objects.get()
    assert [note.split(" at ")[0] for note in notes_on(incident)] == ["Backup succeeded again"]
    assert incident.is_open
    assert first.incident is None and failed.incident == incident


def test_a_resent_report_counts_once(setup, resolver):
    # given a failure reported with the job's own run id
    run, created = report(setup["job"], resolver, external_id="run-42")

    # when the report is sent again (a retry after a timeout)
    again, created_again = report(setup["job"], resolver, external_id="run-42", message="x")

    # then it is the same run, with one incident and no note
    assert (created, created_again) == (True, False)
    assert again.pk == run.pk and again.message == ""
    assert BackupRun.objects.count() == 1
    assert Incident.objects.count() == 1 and notes_on(Incident.objects.get()) == []


def test_the_same_external_id_of_another_job_is_another_run(setup, make_ci, resolver):
    # given two jobs
    other = make_ci("other-job", CiClass.BACKUP_JOB)

    # when both report run "1"
    report(setup["job"], resolver, "success", external_id="1")
    _, created = report(other, resolver, "success", external_id="1")

    # then both are stored
    assert created and BackupRun.objects.count() == 2


def test_a_job_protecting_nothing_goes_to_its_own_group(make_ci, make_group, resolver):
    # given a job with a group and nothing recorded as protected
    group = make_group("Backup team")
    job = make_ci("lonely", CiClass.BACKUP_JOB, support_group=group, criticality="critical")

    # when it fails
    run, _ = report(job, resolver)

    # then its own group gets the incident about the job itself
    incident = run.incident
    assert (incident.assignment_group, incident.configuration_item) == (group, job)
    assert incident.short_description == "Backup failed: lonely"
    assert incident.priority == Priority.HIGH


def test_an_inactive_group_is_skipped_so_the_result_is_still_recorded(setup, resolver):
    # given the protected item's group was deactivated
    setup["dba"].is_active = False
    setup["dba"].save()

    # when the job fails
    run, _ = report(setup["job"], resolver)

    # then the job's own group gets it
    assert run.incident.assignment_group == setup["apps"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"result": "missed"}, "result"),
        ({"result": "maybe"}, "result"),
        ({"finished_at": "yesterday"}, "finished_at"),
        ({"size_bytes": -1}, "size_bytes"),
        ({"duration_seconds": 2**31}, "duration_seconds"),
        ({"external_id": "x" * 101}, "external_id"),
        ({"message": "x" * 10_001}, "message"),
    ],
)
def test_bad_values_are_refused_naming_the_field(setup, resolver, values, field):
    # when a report has a bad value
    with pytest.raises(ValidationError) as caught:
        report(setup["job"], resolver, **values)

    # then the field is named and nothing is stored
    assert field in caught.value.message_dict
    assert not BackupRun.objects.exists()


def test_a_time_in_the_future_is_refused_a_little_clock_skew_is_not(setup, resolver):
    # when a run claims to finish in an hour
    with pytest.raises(ValidationError) as caught:
        report(setup["job"], resolver, finished_at=timezone.now() + dt.timedelta(hours=1))

    # then it is refused, but a minute ahead is accepted
    assert "in the future" in caught.value.message_dict["finished_at"][0]
    report(setup["job"], resolver, "success", finished_at=timezone.now() + dt.timedelta(minutes=1))


def test_a_start_after_the_end_is_refused_and_a_start_gives_the_duration(setup, resolver):
    end = timezone.now() - dt.timedelta(minutes=5)
    with pytest.raises(ValidationError) as caught:
        report(setup["job"], resolver, finished_at=end, started_at=end + dt.timedelta(seconds=1))
    assert "started_at" in caught.value.message_dict

    # a naive time is UTC; the duration comes from the start when not given
    naive_end = end.astimezone(UTC).replace(tzinfo=None)
    run, _ = report(
        setup["job"],
        resolver,
        "success",
        finished_at=naive_end,
        started_at=naive_end - dt.timedelta(minutes=3),
    )
    assert run.duration_seconds == 180 and run.finished_at == end


def test_only_backup_jobs_report_runs(setup, resolver):
    with pytest.raises(ValidationError) as caught:
        report(setup["db"], resolver)
    assert caught.value.message_dict["job"] == [
        "CI0001001 mail-db is a database, not a backup job."
    ]


def test_an_agent_cannot_report_a_resolver_and_the_system_can(setup, make_user, resolver):
    # given an agent
    agent = make_user("alex", Role.AGENT)

    # when the agent reports, then it is refused
    with pytest.raises(PermissionDenied):
        report(setup["job"], agent, "success")

    # a resolver and the system (None) may
    assert report(setup["job"], resolver, "success", external_id="a")[1]
    assert report(setup["job"], None, "success", external_id="b")[1]


# --- restore tests ---------------------------------------------------------------------------


def test_recording_a_restore_test_writes_the_row_and_the_items_history(setup, resolver):
    # when a resolver records a restore test from the job
    tested = timezone.now() - dt.timedelta(hours=1)
    test = backups.record_restore_test(
        setup["db"],
        tested_at=tested,
        result="passed",
        time_to_restore_seconds=900,
        backup_job=setup["job"],
        notes="restored to scratch host",
        acting_user=resolver,
        channel=Channel.WEB,
    )

    # then the row and a history entry on the item exist
    assert (test.recorded_by, test.backup_job, test.tested_at) == (resolver, setup["job"], tested)
    entry = history_of(setup["db"]).latest("sequence")
    assert entry.action == "restore test recorded"
    assert entry.changes["restore_test"]["new"]["result"] == "passed"
    assert verify_history() == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"result": "ok"}, "result"),
        ({"time_to_restore_seconds": -5}, "time_to_restore_seconds"),
        ({"tested_at": "soon"}, "tested_at"),
    ],
)
def test_bad_restore_tests_are_refused(setup, resolver, values, field):
    values = {"tested_at": timezone.now(), "result": "passed", **values}
    with pytest.raises(ValidationError) as caught:
        backups.record_restore_test(setup["db"], acting_user=resolver, **values)
    assert field in caught.value.message_dict
    assert not RestoreTest.objects.exists()


def test_restore_tests_need_the_permission_and_a_protected_item(setup, make_user, resolver):
    agent = make_user("alex", Role.AGENT)
    with pytest.raises(PermissionDenied):
        backups.record_restore_test(
            setup["db"], tested_at=timezone.now(), result="passed", acting_user=agent
        )
    with pytest.raises(ValidationError):  # a job is not restored; what it protects is
        backups.record_restore_test(
            setup["job"], tested_at=timezone.now(), result="passed", acting_user=resolver
        )
    with pytest.raises(ValidationError):  # the job named must be a job
        backups.record_restore_test(
            setup["db"],
            tested_at=timezone.now(),
            result="passed",
            backup_job=setup["app"],
            acting_user=resolver,
        )


def _test(ci: ConfigurationItem, days_ago: float, result: str = "passed") -> RestoreTest:
    return backups.record_restore_test(
        ci, tested_at=timezone.now() - dt.timedelta(days=days_ago), result=result, acting_user=None
    )


def test_restore_status_follows_the_policy(make_ci):
    # given items with a 30-day policy: never tested, tested 10 and 40 days ago, and no policy
    never = make_ci("never", CiClass.DATABASE, restore_test_days=30)
    recent = make_ci("recent", CiClass.DATABASE, restore_test_days=30)
    stale = make_ci("stale", CiClass.DATABASE, restore_test_days=30)
    free = make_ci("free", CiClass.DATABASE)
    _test(recent, 10)
    _test(recent, 1, "failed")  # a failed test proves nothing
    _test(stale, 40)
    _test(free, 400)
    now = timezone.now()

    # when their status is read
    statuses = {
        ci.name: backups.restore_test_status(ci, now) for ci in (never, recent, stale, free)
    }

    # then the never-tested and the stale are overdue
    assert {name for name, s in statuses.items() if s.overdue} == {"never", "stale"}
    assert statuses["never"].never_tested and statuses["never"].due_at is None
    recent = statuses["recent"]
    assert recent.last_test is not None and recent.last_test.result == "failed"
    assert recent.last_success is not None
    assert recent.due_at == recent.last_success.tested_at + dt.timedelta(days=30)
    assert statuses["free"].policy_days is None and statuses["free"].due_at is None
    # and the overview lists them, never tested first; planned and retired items not at all
    retired = make_ci("retired", CiClass.DATABASE, restore_test_days=30)
    update_ci(retired, {"status": CiStatus.RETIRED}, acting_user=None)
    make_ci("planned", CiClass.DATABASE, restore_test_days=30, status=CiStatus.PLANNED)
    overdue = backups.overdue_restore_tests(now)
    assert [s.ci.name for s in overdue] == ["never", "stale"]
    assert overdue[1].last_success == stale.restore_tests.get()


def test_the_group_hears_once_when_an_item_becomes_overdue(make_ci, make_group, make_user):
    # given a database with a weekly policy, tested on day 0
    member = make_user("dana", Role.RESOLVER)
    db = make_ci(
        "db",
        CiClass.DATABASE,
        restore_test_days=7,
        support_group=make_group("DBA", members=(member,)),
    )
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        _test(db, 0)

    def check(day: float) -> int:
        with time_machine.travel(start + dt.timedelta(days=day), tick=False):
            return backups.notify_overdue_restore_tests(timezone.now())

    # when the daily check runs on days 6, 8 and 9, then again after a new test on day 9
    told = [check(6), check(8), check(9)]
    with time_machine.travel(start + dt.timedelta(days=9, hours=1), tick=False):
        _test(db, 0)
    told += [check(15), check(17), check(18)]

    # then the group heard on day 8 and day 17 only
    assert told == [0, 1, 0, 0, 1, 0]
    titles = Notification.objects.filter(user=member).values_list("title", flat=True)
    assert list(titles) == ["Restore test overdue: CI0001001 db"] * 2
    entries = history_of(db).filter(action="restore test overdue")
    assert entries.count() == 2 and entries[0].changes["notified"]["new"] == ["dana"]


def test_a_never_tested_item_is_announced_once(make_ci, make_user):
    owner = make_user("olga", Role.SERVICE_OWNER)
    make_ci("db", CiClass.DATABASE, restore_test_days=30, owner=owner)
    now = timezone.now()
    assert backups.notify_overdue_restore_tests(now) == 1
    assert backups.notify_overdue_restore_tests(now + dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(user=owner).count() == 1


# --- success rates ---------------------------------------------------------------------------


def _runs(job: ConfigurationItem, *results: str, days_ago: float = 1) -> None:
    for index, result in enumerate(results):
        BackupRun.objects.create(
            job=job,
            result=result,
            finished_at=timezone.now() - dt.timedelta(days=days_ago, minutes=index),
        )


def test_a_services_rate_counts_the_jobs_of_everything_it_rests_on(make_ci, relate):
    # given a service that depends on an app running on a server, each backed up by a job
    service = make_ci("Mail", CiClass.BUSINESS_SERVICE)
    app = make_ci("mail-app", CiClass.APPLICATION)
    server = make_ci("srv-01", CiClass.SERVER)
    app_job, server_job, unrelated = (
        make_ci(n, CiClass.BACKUP_JOB) for n in ("app-j", "srv-j", "other-j")
    )
    relate(service, RelationType.DEPENDS_ON, app)
    relate(app, RelationType.RUNS_ON, server)
    relate(app, RelationType.BACKED_UP_BY, app_job)
    relate(server, RelationType.BACKED_UP_BY, server_job)
    relate(make_ci("else", CiClass.DATABASE), RelationType.BACKED_UP_BY, unrelated)
    _runs(server_job, "success", "success", "success", "failure")
    _runs(app_job, "missed")
    _runs(app_job, "failure", days_ago=40)  # before the period
    _runs(unrelated, "failure", "failure")
    since = timezone.now() - dt.timedelta(days=30)

    # when the rate is computed
    rate = backups.service_backup_rate(service, since)

    # then it is 3 of 5, missed runs included, with each job's share
    assert backups.backup_success_rate(service, since) == pytest.approx(0.6)
    assert (rate.total.successes, rate.total.failures, rate.total.missed) == (3, 1, 1)
    assert [(job.name, r.ratio) for job, r in rate.jobs] == [("app-j", 0.0), ("srv-j", 0.75)]
    assert backups.job_success_rate(server_job, since) == 0.75
    assert backups.job_success_rate(unrelated, timezone.now()) is None


def test_a_service_without_backup_results_has_no_rate(make_ci):
    service = make_ci("Quiet", CiClass.BUSINESS_SERVICE)
    assert backups.backup_success_rate(service, timezone.now() - dt.timedelta(days=30)) is None
    assert backups.rates_by_job([], timezone.now()) == {}
