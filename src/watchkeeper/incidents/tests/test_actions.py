"""Incident actions: priority, assignment, concurrency, conversation, search, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.choices import Role
from watchkeeper.core import search
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import ActivityKind, HoldReason, IncidentState
from watchkeeper.incidents.models import Incident, PriorityRule


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"), [(1, 1, 1), (1, 3, 3), (2, 2, 3), (3, 1, 3), (3, 3, 5)]
)
def test_priority_comes_from_the_itil_matrix(make_incident, agent, impact, urgency, priority):
    incident = make_incident(acting_user=agent, impact=impact, urgency=urgency)
    assert incident.priority == priority


def test_a_changed_priority_rule_is_applied(make_incident, agent):
    # given an administrator made impact 3 x urgency 3 a priority 4
    PriorityRule.objects.filter(impact=3, urgency=3).update(priority=4)

    # when an incident with that impact and urgency is reported
    incident = make_incident(acting_user=agent, impact=3, urgency=3)

    # then it gets the configured priority
    assert incident.priority == 4


def test_changing_impact_or_urgency_recomputes_the_priority(make_incident, agent):
    # given a low incident
    incident = make_incident(acting_user=agent, impact=3, urgency=3)

    # when its impact and then its urgency rise
    actions.update_incident(incident, impact=1, acting_user=agent)
    first = Incident.objects.get(pk=incident.pk).priority
    actions.update_incident(incident, urgency=1, acting_user=agent)

    # then the priority follows the matrix each time
    assert first == 3
    assert Incident.objects.get(pk=incident.pk).priority == 1


@pytest.mark.parametrize("values", [{"impact": 7}, {"urgency": 0}])
def test_an_impossible_impact_or_urgency_is_refused(make_incident, agent, values):
    incident = make_incident(acting_user=agent)
    with pytest.raises(ValidationError) as refused:
        actions.update_incident(incident, acting_user=agent, **values)
    assert set(values) <= set(refused.value.message_dict)


def test_overriding_the_priority_needs_the_permission(make_incident, agent):
    incident = make_incident(acting_user=agent)
    with pytest.raises(PermissionDenied):
        actions.override_priority(incident, priority=1, reason="VIP", acting_user=agent)
    assert Incident.objects.get(pk=incident.pk).priority == 5


@pytest.mark.parametrize(
    ("priority", "reason", "field"), [(1, " ", "reason"), (9, "VIP", "priority")]
)
def test_an_override_needs_a_reason_and_a_real_priority(
    make_incident, manager, priority, reason, field
):
    incident = make_incident(acting_user=manager)
    with pytest.raises(ValidationError) as refused:
        actions.override_priority(incident, priority=priority, reason=reason, acting_user=manager)
    assert field in refused.value.message_dict


def test_an_override_is_recorded_in_the_history(make_incident, manager):
    # given an incident of priority 5
    incident = make_incident(acting_user=manager)

    # when an incident manager overrides it with a reason
    actions.override_priority(incident, priority=2, reason="The CEO's laptop", acting_user=manager)

    # then the priority and the reason are kept, and the history says who and why
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.priority, saved.priority_override_reason) == (2, "The CEO's laptop")
    entry = history_of(incident).last()
    assert entry.action == "priority_overridden"
    assert entry.actor == manager
    assert entry.changes["priority"] == {"old": 5, "new": 2}
    assert entry.changes["priority_override_reason"]["new"] == "The CEO's laptop"


def test_the_assignee_must_be_in_the_group(make_incident, agent, desk, make_user, make_group):
    # given an incident and an agent of another group
    incident = make_incident()
    outsider = make_user("olga", Role.AGENT)
    make_group("Network", members=(outsider,))

    # when the incident is assigned to the desk and the outsider
    with pytest.raises(ValidationError) as refused:
        actions.assign(incident, group=desk, assignee=outsider, acting_user=agent)

    # then that is refused and nothing changed
    assert "assignee" in refused.value.message_dict
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.assignment_group, saved.assignee) == (None, None)


def test_reassignment_counts_only_changes_of_group(
    make_incident, agent, desk, make_user, make_group
):
    # given an incident with no group
    incident = make_incident()
    network = make_group("Network", members=(make_user("nick", Role.RESOLVER),))

    # when it goes to the desk, to a desk member, to network, then back to the desk
    actions.assign(incident, group=desk, acting_user=agent)
    actions.assign(incident, group=desk, assignee=agent, acting_user=agent)
    actions.assign(incident, group=network, acting_user=agent)
    actions.assign(incident, group=desk, acting_user=agent)

    # then the first assignment and the change of assignee were not reassignments
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.reassignment_count == 2
    assert saved.assigned_at is not None


def test_a_stale_version_is_a_conflict_and_changes_nothing(make_incident, agent):
    # given two agents who read the same incident
    incident = make_incident(acting_user=agent)
    seen = incident.version
    actions.update_incident(incident, short_description="Printer jams on A4", acting_user=agent)
    entries = history_of(incident).count()

    # when the second saves against the version they saw
    with pytest.raises(Conflict) as conflict:
        actions.update_incident(
            incident, short_description="Printer is fine", acting_user=agent, expected_version=seen
        )

    # then it is refused with the current version, and the first change stands
    assert conflict.value.current_version == seen + 1
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.short_description, saved.version) == ("Printer jams on A4", seen + 1)
    assert history_of(incident).count() == entries


@pytest.mark.parametrize(
    "act",
    [
        lambda i, u, v: actions.start_work(i, acting_user=u, expected_version=v),
        lambda i, u, v: actions.put_on_hold(
            i, reason=HoldReason.AWAITING_VENDOR, acting_user=u, expected_version=v
        ),
        lambda i, u, v: actions.cancel(i, reason="x", acting_user=u, expected_version=v),
        lambda i, u, v: actions.assign(i, group=None, acting_user=u, expected_version=v),
    ],
)
def test_every_state_action_checks_the_version(make_incident, agent, act):
    incident = make_incident(acting_user=agent)
    stale = incident.version - 1
    with pytest.raises(Conflict):
        act(incident, agent, stale)
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.NEW


def test_the_caller_comments_on_their_incident_not_on_anothers(make_incident, requester, make_user):
    mine = make_incident(caller=requester)
    theirs = make_incident(caller=make_user())

    actions.add_comment(mine, body="It jams on A3 only", acting_user=requester)
    with pytest.raises(PermissionDenied):
        actions.add_comment(theirs, body="Me too", acting_user=requester)

    assert mine.activities.count() == 1
    assert theirs.activities.count() == 0


def test_a_requester_cannot_add_work_notes(make_incident, requester):
    incident = make_incident(caller=requester)
    with pytest.raises(PermissionDenied):
        actions.add_work_note(incident, body="I am staff", acting_user=requester)


def test_an_empty_comment_is_refused(make_incident, requester):
    incident = make_incident(caller=requester)
    with pytest.raises(ValidationError, match="Write something"):
        actions.add_comment(incident, body="   ", acting_user=requester)


def test_comment_markdown_is_rendered_and_sanitized(make_incident, requester):
    incident = make_incident(caller=requester)
    activity = actions.add_comment(
        incident, body="**bold** <script>alert(1)</script>", acting_user=requester
    )
    assert "<strong>bold</strong>" in activity.body_html
    assert "<script>" not in activity.body_html


def test_comments_are_searchable_and_work_notes_are_not(make_incident, requester, agent):
    # given an incident with a comment and a work note, each with its own word
    incident = make_incident(caller=requester)
    actions.add_comment(incident, body="The toner is empty", acting_user=requester)
    actions.add_work_note(incident, body="Supplier quarantined zxqvendor", acting_user=agent)

    # when both words are searched
    # then the comment's word finds the incident and the note's finds nothing
    assert list(search.search(Incident.objects.all(), "toner")) == [incident]
    assert list(search.search(Incident.objects.all(), "zxqvendor")) == []


def test_a_work_note_is_internal(make_incident, agent):
    incident = make_incident()
    note = actions.add_work_note(incident, body="Check the fuser", acting_user=agent)
    assert note.kind == ActivityKind.WORK_NOTE
    assert note.is_internal


def test_the_watch_list_and_tags_are_recorded(make_incident, agent, make_user):
    incident = make_incident()
    watcher = make_user("wendy")

    actions.set_watch_list(incident, [watcher], acting_user=agent)
    actions.set_tags(incident, ["Printer", "floor-3"], acting_user=agent)

    assert list(incident.watch_list.all()) == [watcher]
    assert sorted(incident.tags.values_list("name", flat=True)) == ["floor-3", "printer"]
    assert [e.action for e in history_of(incident)][-2:] == ["watch_list_changed", "tags_changed"]


def _every_action(incident, requester, agent, manager, desk):
    """Each action once, in an order the lifecycle allows."""
    yield lambda: actions.update_incident(incident, description="More detail", acting_user=agent)
    yield lambda: actions.assign(incident, group=desk, assignee=agent, acting_user=agent)
    yield lambda: actions.override_priority(incident, priority=2, reason="VIP", acting_user=manager)
    yield lambda: actions.set_watch_list(incident, [manager], acting_user=agent)
    yield lambda: actions.set_tags(incident, ["printer"], acting_user=agent)
    yield lambda: actions.start_work(incident, acting_user=agent)
    yield lambda: actions.add_comment(incident, body="On it", acting_user=agent)
    yield lambda: actions.add_work_note(incident, body="Fuser", acting_user=agent)
    yield lambda: actions.put_on_hold(
        incident, reason=HoldReason.AWAITING_CALLER, acting_user=agent
    )
    yield lambda: actions.add_comment(incident, body="Serial 42", acting_user=requester)
    yield lambda: actions.declare_major(
        incident, reason="All printers", manager=manager, acting_user=manager
    )
    yield lambda: actions.post_major_update(
        incident, body="Working", recipients=["a@example.org"], acting_user=manager
    )
    yield lambda: actions.resolve(
        incident, code="solved_permanently", notes="Fixed", acting_user=agent
    )
    yield lambda: actions.reopen(incident, reason="Not fixed", acting_user=requester)
    yield lambda: actions.resolve(
        incident, code="solved_permanently", notes="Fixed", acting_user=agent
    )
    yield lambda: actions.save_review(
        incident, acting_user=manager, complete=True, summary="s", timeline="t",
        root_cause="r", lessons_learned="l", follow_up_actions="f",
    )  # fmt: skip
    yield lambda: actions.close(incident, acting_user=requester)


def test_every_action_writes_exactly_one_history_entry(
    make_incident, requester, agent, manager, desk
):
    # given an incident
    incident = make_incident(caller=requester)
    assert history_of(incident).count() == 1

    # when each action runs once
    for count, act in enumerate(_every_action(incident, requester, agent, manager, desk), 2):
        act()
        # then each added exactly one entry
        assert history_of(incident).count() == count, act

    # and the chains are intact
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.CLOSED
    assert verify_history() == []


def test_an_auditor_reads_but_may_not_comment_unless_watching(make_user, make_incident, agent):
    # given an incident and an auditor, who may read every incident
    incident = make_incident()
    auditor = make_user("aude", Role.AUDITOR)
    # when / then: reading is allowed, talking in it is not
    assert Incident.objects.restrict(auditor).filter(pk=incident.pk).exists()
    with pytest.raises(PermissionDenied):
        actions.add_comment(incident, body="looks odd", acting_user=auditor)
    # given the auditor is put on the watch list
    actions.set_watch_list(incident, [auditor], acting_user=agent)
    # then they may comment
    activity = actions.add_comment(incident, body="looks odd", acting_user=auditor)
    assert activity.kind == ActivityKind.COMMENT
