"""The backup and recovery checks and the audit trail check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from watchkeeper.accounts.actions import update_user
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import BackupRun, RestoreTest
from watchkeeper.core.history import history_of
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Incident


@pytest.fixture
def backups(make_ci, relate, make_user, make_group):
    boss = make_user("gina", Role.RESOLVER)
    storage = make_group("Storage", members=(boss,), manager=boss)
    server = make_ci("srv-01")
    job = make_ci("nightly", ci_class=CiClass.BACKUP_JOB, support_group=storage)
    relate(server, "backed_up_by", job)
    return {"job": job, "server": server, "boss": boss, "agent": make_user("alex", Role.AGENT)}


def run_of(job, result, hours_ago, **fields):
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    return BackupRun.objects.create(job=job, result=result, finished_at=at, **fields)


def incident_about(ci, agent, created):
    incident = create_incident(caller=agent, short_description=f"About {ci.name}",
                               acting_user=agent, configuration_item=ci)  # fmt: skip
    Incident.objects.filter(pk=incident.pk).update(created_at=created)
    return incident


def test_failed_backups_without_an_incident_are_found(backups, deviations):
    job, agent = backups["job"], backups["agent"]
    # given a failure 30 hours ago with nothing, one linked to an incident, one followed by an
    # incident about the protected server within the window, a missed run whose incident came
    # two days late, a failure two hours ago (still in its window) and a success; an incident
    # resolved before a failure does not cover it
    alone = run_of(job, "failure", 30)
    linked = run_of(job, "failure", 30, incident=incident_about(job, agent, timezone.now()))
    covered = run_of(job, "failure", 40)
    about_server = incident_about(
        backups["server"], agent, covered.finished_at + dt.timedelta(hours=1)
    )
    resolved_at = covered.finished_at + dt.timedelta(hours=2)  # before the newer failure
    Incident.objects.filter(pk=about_server.pk).update(state="resolved", resolved_at=resolved_at)
    late = run_of(job, "missed", 100)
    incident_about(job, agent, late.finished_at + dt.timedelta(hours=48))
    Incident.objects.filter(short_description=f"About {job.name}").update(
        state="resolved", resolved_at=late.finished_at + dt.timedelta(hours=50)
    )
    recent = run_of(job, "failure", 2)
    success = run_of(job, "success", 30)
    # when
    found = deviations("operations.failed_backup_without_incident")
    # then
    assert sorted(int(d.object_id) for d in found) == sorted([alone.pk, late.pk])
    by_id = {int(d.object_id): d for d in found}
    assert by_id[late.pk].summary.startswith(f"The backup job {job.number} nightly was missed at ")
    assert by_id[alone.pk].summary.endswith("and no incident was opened within 24 hours.")
    assert by_id[alone.pk].owners == (backups["boss"].pk, None, None)
    assert {linked.pk, covered.pk, recent.pk, success.pk}.isdisjoint(by_id)


def test_the_backup_incident_window_is_a_setting(backups, deviations, settings):
    # given a failure 30 hours ago and a window of 48 hours
    settings.AUDIT_BACKUP_INCIDENT_HOURS = 48
    run_of(backups["job"], "failure", 30)
    # then it is not judged yet
    assert deviations("operations.failed_backup_without_incident") == []


def test_overdue_restore_tests_are_found(make_ci, deviations):
    # given items with a 30-day policy: never tested, tested 40 and 10 days ago; a retired one
    never = make_ci("db-never", restore_test_days=30)
    stale = make_ci("db-stale", restore_test_days=30)
    fresh = make_ci("db-fresh", restore_test_days=30)
    make_ci("db-retired", restore_test_days=30, status="retired")
    make_ci("no-policy")
    now = timezone.now()
    RestoreTest.objects.create(ci=stale, tested_at=now - dt.timedelta(days=40), result="passed")
    RestoreTest.objects.create(ci=fresh, tested_at=now - dt.timedelta(days=10), result="passed")
    RestoreTest.objects.create(ci=fresh, tested_at=now - dt.timedelta(days=1), result="failed")
    # when
    found = deviations("operations.restore_test_overdue")
    # then
    assert [d.label for d in found] == [f"{never.number} db-never", f"{stale.number} db-stale"]
    assert found[0].summary == (
        f"{never.number} db-never has never passed a restore test (policy: every 30 days)."
    )
    due = (now - dt.timedelta(days=10)).date().isoformat()
    assert found[1].summary == (
        f"{stale.number} db-stale was due for a restore test on {due} (policy: every 30 days)."
    )


def test_records_whose_history_was_altered_are_found(make_user, make_incident, deviations):
    # given intact records, an incident whose first entry was edited, a user whose last entry
    # was deleted
    make_user("intact")
    incident = make_incident("Altered")
    history_of(incident).filter(sequence=1).update(actor_label="someone else")
    user = make_user("trimmed", job_title="Clerk")
    update_user(user, job_title="Chief", acting_user=None)
    history_of(user).order_by("-sequence").first().delete()
    # when
    found = {d.object_id: d for d in deviations("trail.history_chain_broken")}
    # then one finding per altered record, named by its number where it has one
    assert set(found) == {str(incident.pk), str(user.pk)}
    key = f"incidents.incident:{incident.pk}"
    assert found[str(incident.pk)].label == f"{incident.number} ({key})"
    assert found[str(incident.pk)].summary == (
        f"The history of {incident.number} ({key}) was altered: entry 1 was altered after it "
        "was written."
    )
    assert "entries after" in found[str(user.pk)].summary
