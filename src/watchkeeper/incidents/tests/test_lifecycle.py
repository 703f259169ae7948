"""The incident lifecycle: every transition, resolving, reopening, closing, first contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import HoldReason, IncidentState, ResolutionCode
from watchkeeper.incidents.lifecycle import TRANSITIONS
from watchkeeper.incidents.models import Incident

S = IncidentState
RESOLVED_OK = {"code": ResolutionCode.SOLVED_PERMANENTLY, "notes": "Replaced the fuser."}


def bring_to(incident: Incident, state: str, agent: Any) -> Incident:
    """Move a new incident to ``state`` through the actions."""
    if state == S.IN_PROGRESS:
        actions.start_work(incident, acting_user=agent)
    elif state == S.ON_HOLD:
        actions.put_on_hold(incident, reason=HoldReason.AWAITING_VENDOR, acting_user=agent)
    elif state in (S.RESOLVED, S.CLOSED):
        actions.resolve(incident, acting_user=agent, **RESOLVED_OK)
        if state == S.CLOSED:
            actions.close(incident, acting_user=agent)
    elif state == S.CANCELED:
        actions.cancel(incident, reason="Reported twice", acting_user=agent)
    assert incident.state == state
    return incident


def move(incident: Incident, target: str, agent: Any) -> None:
    """The action that moves an incident to ``target`` (reopen out of resolved)."""
    if target == S.IN_PROGRESS and incident.state == S.RESOLVED:
        actions.reopen(incident, reason="Still jams", acting_user=agent)
    elif target == S.IN_PROGRESS:
        actions.start_work(incident, acting_user=agent)
    elif target == S.ON_HOLD:
        actions.put_on_hold(incident, reason=HoldReason.AWAITING_CALLER, acting_user=agent)
    elif target == S.RESOLVED:
        actions.resolve(incident, acting_user=agent, **RESOLVED_OK)
    elif target == S.CLOSED:
        actions.close(incident, acting_user=agent)
    elif target == S.CANCELED:
        actions.cancel(incident, reason="Not needed any more", acting_user=agent)


TARGETS = [S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CLOSED, S.CANCELED]
ALLOWED = [(s, t) for s in S for t in TARGETS if t in TRANSITIONS[s]]
FORBIDDEN = [(s, t) for s in S for t in TARGETS if t not in TRANSITIONS[s]]


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_transition_moves_the_incident(make_incident, agent, source, target):
    # given an incident in the source state
    incident = bring_to(make_incident(), source, agent)
    entries = history_of(incident).count()

    # when it is moved to the target state
    move(incident, target, agent)

    # then it is there, in the database too, with one more history entry
    assert incident.state == target
    assert Incident.objects.get(pk=incident.pk).state == target
    assert history_of(incident).count() == entries + 1
    assert verify_history() == []


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(
    make_incident, agent, source, target
):
    # given an incident in the source state
    incident = bring_to(make_incident(), source, agent)
    version, entries = incident.version, history_of(incident).count()

    # when it is moved to a state that may not follow
    with pytest.raises(ValidationError) as refused:
        move(incident, target, agent)

    # then the move is refused with a message and nothing changed
    assert refused.value.message_dict
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.version) == (source, version)
    assert history_of(incident).count() == entries


def test_start_work_does_not_reopen_a_resolved_incident(make_incident, agent):
    # given a resolved incident
    incident = bring_to(make_incident(), S.RESOLVED, agent)

    # when someone starts work on it instead of reopening it
    # then that is refused: reopening is its own action, counted
    with pytest.raises(ValidationError, match="reopen"):
        actions.start_work(incident, acting_user=agent)
    assert Incident.objects.get(pk=incident.pk).state == S.RESOLVED


@pytest.mark.parametrize("state", [S.NEW, S.IN_PROGRESS, S.ON_HOLD])
def test_only_a_resolved_incident_can_be_reopened(make_incident, agent, state):
    # given an incident that is not resolved
    incident = bring_to(make_incident(), state, agent)

    # when it is reopened
    # then that is refused and not counted
    with pytest.raises(ValidationError):
        actions.reopen(incident, reason="Still broken", acting_user=agent)
    assert Incident.objects.get(pk=incident.pk).reopen_count == 0


def test_start_work_resumes_an_incident_on_hold(make_incident, agent):
    # given an incident on hold awaiting a vendor
    incident = bring_to(make_incident(), S.ON_HOLD, agent)
    assert incident.hold_reason == HoldReason.AWAITING_VENDOR

    # when work starts again
    actions.start_work(incident, acting_user=agent)

    # then it is in progress and the hold reason is gone
    assert (incident.state, incident.hold_reason) == (S.IN_PROGRESS, "")


def test_a_hold_needs_a_known_reason(make_incident, agent):
    incident = make_incident()
    with pytest.raises(ValidationError, match="Hold reason"):
        actions.put_on_hold(incident, reason="lunch", acting_user=agent)


@pytest.mark.parametrize(
    ("code", "notes", "field"),
    [("", "Fixed", "code"), ("made_up", "Fixed", "code"), (ResolutionCode.DUPLICATE, " ", "notes")],
)
def test_resolving_needs_a_code_and_notes(make_incident, agent, code, notes, field):
    # given an incident in progress
    incident = bring_to(make_incident(), S.IN_PROGRESS, agent)

    # when it is resolved without a valid code or without notes
    with pytest.raises(ValidationError) as refused:
        actions.resolve(incident, code=code, notes=notes, acting_user=agent)

    # then the missing field is named and nothing changed
    assert field in refused.value.message_dict
    assert Incident.objects.get(pk=incident.pk).state == S.IN_PROGRESS


def test_resolving_records_who_when_and_how(make_incident, agent):
    incident = bring_to(make_incident(), S.IN_PROGRESS, agent)

    actions.resolve(
        incident, code=ResolutionCode.SOLVED_WORKAROUND, notes=" Reboot ", acting_user=agent
    )

    saved = Incident.objects.get(pk=incident.pk)
    assert saved.resolution_code == ResolutionCode.SOLVED_WORKAROUND
    assert saved.resolution_notes == "Reboot"
    assert saved.resolved_by == agent
    assert saved.resolved_at is not None


def test_children_resolve_with_their_parent(make_incident, agent):
    # given a parent with two open children and one already canceled
    parent = make_incident("E-mail is down")
    open_children = [make_incident(parent=parent, acting_user=agent) for _ in range(2)]
    canceled = make_incident(parent=parent, acting_user=agent)
    actions.cancel(canceled, reason="Duplicate call", acting_user=agent)

    # when the parent is resolved
    actions.resolve(
        parent,
        acting_user=agent,
        code=ResolutionCode.SOLVED_PERMANENTLY,
        notes="Mail relay restarted",
    )

    # then the open children are resolved by parent, the canceled one stays canceled
    for child in open_children:
        child.refresh_from_db()
        assert child.state == S.RESOLVED
        assert child.resolution_code == ResolutionCode.RESOLVED_BY_PARENT
        assert parent.number in child.resolution_notes
    canceled.refresh_from_db()
    assert canceled.state == S.CANCELED
    assert verify_history() == []


def test_the_caller_reopens_within_the_window_and_it_is_counted(make_incident, requester, agent):
    # given the caller's incident, resolved
    incident = bring_to(make_incident(caller=requester), S.RESOLVED, agent)

    # when the caller rejects the resolution, twice over two resolutions
    actions.reopen(incident, reason="Still jams", acting_user=requester)
    actions.resolve(incident, acting_user=agent, **RESOLVED_OK)
    actions.reopen(incident, reason="Jams again", acting_user=requester)

    # then it is in progress, counted twice, the resolution cleared, the reason a comment
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.reopen_count) == (S.IN_PROGRESS, 2)
    assert (saved.resolution_code, saved.resolved_at) == ("", None)
    bodies = list(saved.activities.values_list("body", flat=True))
    assert bodies == ["Reopened: Still jams", "Reopened: Jams again"]


def test_reopening_needs_a_reason(make_incident, requester, agent):
    incident = bring_to(make_incident(caller=requester), S.RESOLVED, agent)
    with pytest.raises(ValidationError, match="why"):
        actions.reopen(incident, reason="  ", acting_user=requester)


def test_the_caller_cannot_reopen_after_the_window(make_incident, requester, agent, monkeypatch):
    # given an incident resolved longer ago than the auto-close window, not yet closed
    incident = bring_to(make_incident(caller=requester), S.RESOLVED, agent)
    later = timezone.now() + dt.timedelta(days=8)
    monkeypatch.setattr(timezone, "now", lambda: later)

    # when the caller tries to reopen it
    # then that is refused: they report a new incident instead
    with pytest.raises(ValidationError, match="new incident"):
        actions.reopen(incident, reason="Still jams", acting_user=requester)
    assert Incident.objects.get(pk=incident.pk).reopen_count == 0


def test_a_closed_incident_is_final(make_incident, requester, agent):
    # given a closed incident
    incident = bring_to(make_incident(caller=requester), S.CLOSED, agent)

    # when the caller or an agent tries to reopen it
    for person in (requester, agent):
        with pytest.raises(ValidationError):
            actions.reopen(incident, reason="Broken again", acting_user=person)

    # then it stays closed
    assert Incident.objects.get(pk=incident.pk).state == S.CLOSED


def test_another_requester_cannot_reopen_or_close(make_incident, make_user, agent):
    incident = bring_to(make_incident(), S.RESOLVED, agent)
    stranger = make_user()
    with pytest.raises(PermissionDenied):
        actions.reopen(incident, reason="Mine too", acting_user=stranger)
    with pytest.raises(PermissionDenied):
        actions.close(incident, acting_user=stranger)


def test_the_caller_confirms_a_resolution_by_closing(make_incident, requester, agent):
    incident = bring_to(make_incident(caller=requester), S.RESOLVED, agent)

    actions.close(incident, acting_user=requester)

    saved = Incident.objects.get(pk=incident.pk)
    assert saved.state == S.CLOSED
    assert saved.closed_at is not None


def test_resolved_incidents_close_after_the_window_once(make_incident, agent, settings):
    # given a window of 3 days, one incident resolved now and one still open
    settings.INCIDENT_AUTO_CLOSE_DAYS = 3
    resolved = bring_to(make_incident(), S.RESOLVED, agent)
    still_open = bring_to(make_incident(), S.IN_PROGRESS, agent)
    now = timezone.now()

    # when the job runs inside the window, then after it, then again
    early = actions.close_resolved_incidents(now + dt.timedelta(days=2))
    due = actions.close_resolved_incidents(now + dt.timedelta(days=3, minutes=1))
    again = actions.close_resolved_incidents(now + dt.timedelta(days=4))

    # then it closed the resolved incident exactly once, by the system, and left the open one
    assert (early, due, again) == (0, 1, 0)
    assert Incident.objects.get(pk=resolved.pk).state == S.CLOSED
    assert Incident.objects.get(pk=still_open.pk).state == S.IN_PROGRESS
    closing = history_of(resolved).filter(action="closed").get()
    assert (closing.actor_label, closing.channel) == ("system", Channel.JOB)


def test_auto_close_skips_a_major_incident_without_a_complete_review(make_incident, manager):
    # given a major incident, resolved long ago, whose review is not complete
    incident = make_incident()
    actions.declare_major(incident, reason="All mail down", manager=manager, acting_user=manager)
    actions.resolve(incident, acting_user=manager, **RESOLVED_OK)
    later = timezone.now() + dt.timedelta(days=30)

    # when the job runs
    closed = actions.close_resolved_incidents(later)

    # then it waits for the review
    assert closed == 0
    assert Incident.objects.get(pk=incident.pk).state == S.RESOLVED

    # and closes it once the review is complete
    sections = dict.fromkeys(actions.major.REVIEW_FIELDS, "Written.")
    actions.save_review(incident, acting_user=manager, complete=True, **sections)
    assert actions.close_resolved_incidents(later) == 1


def test_first_response_is_the_first_agent_comment_not_a_work_note(make_incident, requester, agent):
    # given a new incident
    incident = make_incident(caller=requester)

    # when the caller comments and an agent adds a work note
    actions.add_comment(incident, body="Any news?", acting_user=requester)
    actions.add_work_note(incident, body="Looking at the logs", acting_user=agent)

    # then there is no first response yet
    assert Incident.objects.get(pk=incident.pk).first_response_at is None

    # and the agent's comment is the first response, kept afterwards
    actions.add_comment(incident, body="We are on it", acting_user=agent)
    first = Incident.objects.get(pk=incident.pk).first_response_at
    assert first is not None
    actions.start_work(incident, acting_user=agent)
    assert Incident.objects.get(pk=incident.pk).first_response_at == first


def test_starting_work_is_a_first_response(make_incident, agent):
    incident = make_incident()
    actions.start_work(incident, acting_user=agent)
    assert Incident.objects.get(pk=incident.pk).first_response_at is not None


def _phone_incident(make_incident, requester, agent, desk, **fields):
    return make_incident(
        caller=requester, acting_user=agent, channel=Channel.PHONE, assignment_group=desk, **fields
    )


def test_first_contact_resolution_by_the_agent_who_took_the_call(
    make_incident, requester, agent, desk
):
    incident = _phone_incident(make_incident, requester, agent, desk)

    actions.resolve(incident, acting_user=agent, **RESOLVED_OK)

    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is True


def _reassigned(incident, agent, make_group, make_user):
    other = make_group("Network", members=(make_user(None, Role.RESOLVER),))
    actions.assign(incident, group=other, acting_user=agent)


def _held(incident, agent, make_group, make_user):
    actions.put_on_hold(incident, reason=HoldReason.AWAITING_CALLER, acting_user=agent)


def _reopened(incident, agent, make_group, make_user):
    actions.resolve(incident, acting_user=agent, **RESOLVED_OK)
    actions.reopen(incident, reason="Not fixed", acting_user=agent)


@pytest.mark.parametrize("detour", [_reassigned, _held, _reopened])
def test_no_first_contact_resolution_after_a_detour(
    make_incident, requester, agent, desk, make_group, make_user, detour
):
    # given a phone incident that was reassigned, held or reopened
    incident = _phone_incident(make_incident, requester, agent, desk)
    detour(incident, agent, make_group, make_user)

    # when the agent resolves it
    actions.resolve(incident, acting_user=agent, **RESOLVED_OK)

    # then it was not resolved at first contact
    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is False


def test_no_first_contact_resolution_for_a_portal_incident_or_another_agent(
    make_incident, requester, agent, desk, make_user
):
    portal = make_incident(caller=requester)
    phone = _phone_incident(make_incident, requester, agent, desk)
    colleague = make_user("casey", Role.AGENT)

    actions.resolve(portal, acting_user=agent, **RESOLVED_OK)
    actions.resolve(phone, acting_user=colleague, **RESOLVED_OK)

    assert Incident.objects.get(pk=portal.pk).first_contact_resolution is False
    assert Incident.objects.get(pk=phone.pk).first_contact_resolution is False


def test_a_requester_cannot_work_an_incident(make_incident, requester):
    incident = make_incident(caller=requester)
    for act in (
        lambda: actions.start_work(incident, acting_user=requester),
        lambda: actions.put_on_hold(
            incident, reason=HoldReason.AWAITING_CALLER, acting_user=requester
        ),
        lambda: actions.resolve(incident, acting_user=requester, **RESOLVED_OK),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert Incident.objects.get(pk=incident.pk).state == S.NEW


def test_the_caller_cancels_their_own_incident_not_anothers(make_incident, requester, make_user):
    mine = make_incident(caller=requester)
    theirs = make_incident(caller=make_user())

    actions.cancel(mine, reason="Works again", acting_user=requester)
    with pytest.raises(PermissionDenied):
        actions.cancel(theirs, reason="Spam", acting_user=requester)

    assert Incident.objects.get(pk=mine.pk).state == S.CANCELED
    assert Incident.objects.get(pk=theirs.pk).state == S.NEW


def test_the_callers_comment_ends_awaiting_caller(make_incident, requester, agent):
    # given an incident on hold awaiting the caller
    incident = make_incident(caller=requester)
    actions.put_on_hold(incident, reason=HoldReason.AWAITING_CALLER, acting_user=agent)
    version = Incident.objects.get(pk=incident.pk).version

    # when the caller answers
    actions.add_comment(incident, body="Here is the serial number", acting_user=requester)

    # then work resumes, as a new version (a stale edit is refused)
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.hold_reason) == (S.IN_PROGRESS, "")
    assert saved.version == version + 1
    assert verify_history() == []


def test_a_comment_does_not_end_other_holds(make_incident, requester, agent):
    incident = make_incident(caller=requester)
    actions.put_on_hold(incident, reason=HoldReason.AWAITING_VENDOR, acting_user=agent)

    actions.add_comment(incident, body="Any news?", acting_user=requester)

    assert Incident.objects.get(pk=incident.pk).state == S.ON_HOLD
