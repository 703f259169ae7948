"""Responding to a finding: its owner or a process manager marks it remediated (with a note) or
accepts the risk (with a reason); an auditor may not; every response is in its history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import actions, runner
from watchkeeper.audit.models import Finding
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents.models import Incident


@pytest.fixture
def finding(make_user, make_group, make_incident):
    agent = make_user("alex", Role.AGENT)
    boss = make_user("gina", Role.RESOLVER)
    desk = make_group("Desk", members=(agent,), manager=boss)
    incident = make_incident("Bounced", acting_user=agent, assignment_group=desk)
    Incident.objects.filter(pk=incident.pk).update(reassignment_count=4)
    runner.run_check("incidents.reassigned_too_often")
    return Finding.objects.get()


def test_the_owner_marks_a_finding_remediated(finding):
    # when its owner (the group's manager) says what was done
    done = actions.remediate(finding, note="  Talked to the team  ", acting_user=finding.owner)
    # then
    assert (done.state, done.response, done.version) == ("remediated", "Talked to the team", 2)
    entry = history_of(done).last()
    assert (entry.action, entry.actor_label) == ("remediated", "gina")
    assert entry.changes["state"] == {"old": "open", "new": "remediated"}
    assert entry.changes["response"]["new"] == "Talked to the team"
    assert verify_history() == []


def test_remediating_needs_a_note_and_an_open_finding(finding):
    with pytest.raises(ValidationError) as refused:
        actions.remediate(finding, note="  ", acting_user=finding.owner)
    assert refused.value.message_dict == {"note": ["Say what was done to remediate it."]}
    actions.remediate(finding, note="Done", acting_user=finding.owner)
    with pytest.raises(ValidationError) as again:
        actions.remediate(finding, note="Again", acting_user=finding.owner)
    assert "only an open finding" in again.value.message_dict["state"][0]


def test_a_process_manager_accepts_the_risk_with_a_reason(finding, make_user):
    # given an incident manager (holds audit.respond), not the owner
    manager = make_user("morgan", Role.INCIDENT_MANAGER)
    with pytest.raises(ValidationError) as refused:
        actions.accept_risk(finding, reason="", acting_user=manager)
    assert refused.value.message_dict == {"reason": ["Say why the risk is accepted."]}
    # when
    done = actions.accept_risk(finding, reason="A complex case", acting_user=manager)
    # then it closes, with the reason, in its history
    assert (done.state, done.response) == ("accepted", "A complex case")
    assert done.closed_at is not None
    assert history_of(done).last().action == "risk_accepted"
    with pytest.raises(ValidationError):
        actions.accept_risk(done, reason="Twice", acting_user=manager)


def test_an_auditor_or_anyone_else_may_not_respond(finding, make_user):
    for user in (make_user("ada", Role.AUDITOR), make_user("alexis", Role.AGENT), None):
        with pytest.raises(PermissionDenied):
            actions.remediate(finding, note="No", acting_user=user)
        with pytest.raises(PermissionDenied):
            actions.accept_risk(finding, reason="No", acting_user=user)
    finding.refresh_from_db()
    assert (finding.state, finding.history_length) == ("open", 1)


def test_a_stale_version_is_refused(finding):
    actions.remediate(finding, note="First", acting_user=finding.owner, expected_version=1)
    with pytest.raises(Conflict):
        actions.accept_risk(finding, reason="Late", acting_user=finding.owner, expected_version=1)
