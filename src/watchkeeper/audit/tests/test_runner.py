"""Running checks: findings opened, kept, reopened and resolved; owners and due dates; failing
checks; one message per owner; the daily job and the command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import actions, runner, tasks
from watchkeeper.audit.checks import CHECKS
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.models import Notification
from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.models import Incident

KEY = "incidents.reassigned_too_often"


@pytest.fixture
def world(make_user, make_group, make_incident):
    agent = make_user("alex", Role.AGENT)
    boss = make_user("gina", Role.RESOLVER, email="gina@example.org")
    desk = make_group("Service desk", members=(agent,), manager=boss)
    managers = [make_user("morgan", Role.INCIDENT_MANAGER), make_user("mia", Role.INCIDENT_MANAGER)]
    grouped = [
        make_incident(f"Grouped {n}", acting_user=agent, assignment_group=desk) for n in range(2)
    ]
    loose = make_incident("No group")
    Incident.objects.filter(pk__in=[i.pk for i in [*grouped, loose]]).update(reassignment_count=5)
    return {"agent": agent, "boss": boss, "desk": desk, "managers": managers,
            "grouped": grouped, "loose": loose}  # fmt: skip


def findings():
    return {f.record_label: f for f in Finding.objects.filter(check_key=KEY)}


def test_a_run_opens_one_finding_per_deviation_with_its_owner_and_due_date(world):
    # when
    run = runner.run_check(KEY)
    # then
    assert (run.found, run.opened, run.closed, run.error) == (3, 3, 0, "")
    assert run.finished_at is not None
    opened = findings()
    grouped, loose = world["grouped"], world["loose"]
    assert set(opened) == {grouped[0].number, grouped[1].number, loose.number}
    assert opened[grouped[0].number].owner == world["boss"]  # the group's manager
    assert opened[loose.number].owner.username == "mia"  # an incident manager, first by name
    due = timezone.localdate() + dt.timedelta(days=14)
    assert {f.due_on for f in opened.values()} == {due}
    finding = opened[loose.number]
    assert (finding.state, finding.summary) == ("open", f"{loose.number} was reassigned 5 times "
                                                        "(the limit is 3).")  # fmt: skip
    assert finding.number.startswith("FND")
    assert finding.object_id == str(loose.pk)
    [created] = history_of(finding)
    assert created.action == "created" and created.changes["state"]["new"] == "open"
    assert verify_history() == []  # the bulk-written chains verify


def test_the_due_date_is_a_setting_and_nobody_owns_without_a_manager(
    make_user, make_incident, settings
):
    # given no incident manager at all
    settings.AUDIT_FINDING_DUE_DAYS = 3
    incident = make_incident("Alone")
    Incident.objects.filter(pk=incident.pk).update(reassignment_count=9)
    # when
    runner.run_check(KEY)
    # then
    [finding] = Finding.objects.all()
    assert finding.owner is None
    assert finding.due_on == timezone.localdate() + dt.timedelta(days=3)


def test_an_inactive_group_manager_is_passed_over(world):
    world["boss"].is_active = False
    world["boss"].save()
    runner.run_check(KEY)
    assert findings()[world["grouped"][0].number].owner.username == "mia"


def test_running_again_changes_nothing_but_the_time_last_found(world):
    # given a first run
    first = timezone.now() - dt.timedelta(days=1)
    runner.run_check(KEY, now=first)
    before = {f.number: (f.state, f.version, f.history_length) for f in Finding.objects.all()}
    # when it runs again
    run = runner.run_check(KEY)
    # then nothing is opened or resolved; each finding was seen again
    assert (run.found, run.opened, run.closed) == (3, 0, 0)
    after = {f.number: (f.state, f.version, f.history_length) for f in Finding.objects.all()}
    assert after == before
    assert all(f.last_found_at > f.first_found_at for f in Finding.objects.all())
    assert AuditRun.objects.filter(check_key=KEY).count() == 2


def test_a_finding_no_longer_found_is_resolved(world):
    # given findings, then one incident is fixed
    runner.run_check(KEY)
    fixed = world["loose"]
    Incident.objects.filter(pk=fixed.pk).update(reassignment_count=1)
    # when
    run = runner.run_check(KEY)
    # then
    assert (run.opened, run.closed) == (0, 1)
    finding = findings()[fixed.number]
    assert finding.state == "resolved" and finding.closed_at is not None
    assert history_of(finding).last().action == "resolved"
    assert Finding.objects.filter(state="open").count() == 2
    # and should it deviate again, a new finding is opened
    Incident.objects.filter(pk=fixed.pk).update(reassignment_count=7)
    assert runner.run_check(KEY).opened == 1
    assert Finding.objects.filter(object_id=str(fixed.pk)).count() == 2
    assert verify_history() == []


def test_a_remediated_finding_found_again_opens_again_else_it_is_resolved(world):
    runner.run_check(KEY)
    boss = world["boss"]
    first, second = (findings()[i.number] for i in world["grouped"])
    actions.remediate(first, note="Moved to the right group", acting_user=boss)
    actions.remediate(second, note="Fixed", acting_user=boss)
    Incident.objects.filter(pk=world["grouped"][1].pk).update(reassignment_count=0)
    # when
    runner.run_check(KEY)
    # then the one still found is open again, the other resolved
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("open", "resolved")
    assert [e.action for e in history_of(first)] == ["created", "remediated", "reopened"]
    assert verify_history() == []


def test_an_accepted_risk_is_not_reported_again(world):
    runner.run_check(KEY)
    finding = findings()[world["loose"].number]
    actions.accept_risk(finding, reason="Complex case", acting_user=world["managers"][0])
    # when
    run = runner.run_check(KEY)
    # then
    assert (run.found, run.opened, run.closed) == (3, 0, 0)
    assert Finding.objects.filter(object_id=str(world["loose"].pk)).count() == 1


def test_a_failing_check_records_its_error_and_the_others_still_run(world, monkeypatch):
    def broken(now):
        raise RuntimeError("the table is gone")

    failing = "incidents.resolved_without_notes"
    monkeypatch.setitem(CHECKS, failing, dataclasses.replace(CHECKS[failing], find=broken))
    # when
    runs = {run.check_key: run for run in runner.run_all()}
    # then
    assert set(runs) == set(CHECKS)
    assert runs[failing].error == "RuntimeError: the table is gone"
    assert runs[failing].finished_at is not None
    assert runs[KEY].error == "" and runs[KEY].opened == 3


def test_owners_hear_once_per_run_of_their_new_findings(world, django_capture_on_commit_callbacks):
    # when every check runs
    with django_capture_on_commit_callbacks(execute=True):
        runner.run_all()
    # then gina (two findings) gets one message, and mia (one) one
    gina = Notification.objects.filter(user=world["boss"])
    assert [n.title for n in gina] == ["2 new process audit findings for you"]
    assert gina[0].url == "/audit/findings/?owner=me&state=active"
    to_gina = [m for m in mail.outbox if m.to == ["gina@example.org"]]
    assert len(to_gina) == 1
    assert world["grouped"][0].number in to_gina[0].body
    assert Notification.objects.filter(user__username="mia").count() == 1
    # and a second run tells nobody anything new
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        runner.run_all()
    assert mail.outbox == []
    assert Notification.objects.filter(title__contains="audit finding").count() == 2


def test_the_daily_job_runs_every_check(world):
    assert tasks.SCHEDULE == "30 5 * * *"
    assert tasks.run_audit_checks.call_local() == 3
    assert AuditRun.objects.count() == len(CHECKS)


def test_the_audit_run_command(world):
    # when one check runs from the command line
    out = io.StringIO()
    call_command("audit", "run", "--check", KEY, stdout=out)
    # then
    assert out.getvalue().strip() == f"{KEY}: 3 found, 3 new, 0 resolved"
    assert history_of(Finding.objects.first()).get().channel == "cli"
    with pytest.raises(CommandError, match="No check 'nope'"):
        call_command("audit", "run", "--check", "nope", stdout=io.StringIO())
    # and all of them
    out = io.StringIO()
    call_command("audit", "run", stdout=out)
    assert len(out.getvalue().splitlines()) == len(CHECKS)


def test_work_by_the_desk_shows_in_the_run(world):
    # an incident resolved without notes is found by its check from the desk's actions
    incident = world["grouped"][0]
    incident_actions.resolve(
        incident, code="solved_permanently", notes="ok", acting_user=world["agent"]
    )
    Incident.objects.filter(pk=incident.pk).update(resolution_notes="")
    run = runner.run_check("incidents.resolved_without_notes", started_by=world["agent"])
    assert run.opened == 1 and run.started_by == world["agent"]
    assert history_of(Finding.objects.get(check_key=run.check_key)).get().actor_label == "alex"
