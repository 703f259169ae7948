"""Major incidents: declaring, stakeholder updates, the post-incident review before closure."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.core.history import history_of, verify_history
from watchkeeper.incidents import actions
from watchkeeper.incidents.actions.major import REVIEW_FIELDS
from watchkeeper.incidents.choices import IncidentState, ResolutionCode
from watchkeeper.incidents.models import Incident, MajorIncidentUpdate

FULL_REVIEW = {name: f"The {name.replace('_', ' ')}." for name in REVIEW_FIELDS}


@pytest.fixture
def major(make_incident, manager) -> Incident:
    incident = make_incident("All e-mail is down")
    actions.declare_major(
        incident, reason="Every user affected", manager=manager, acting_user=manager
    )
    return incident


def test_an_incident_manager_declares_a_major_incident(make_incident, manager):
    # given an ordinary incident
    incident = make_incident("All e-mail is down")

    # when an incident manager declares it major with a reason
    actions.declare_major(incident, reason=" Every user ", manager=manager, acting_user=manager)

    # then it is major, with its reason, manager, time and an empty review, and recorded
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.is_major, saved.major_reason, saved.major_manager) == (
        True,
        "Every user",
        manager,
    )
    assert saved.major_declared_at is not None
    assert saved.review.is_complete is False
    assert history_of(saved).last().action == "major_declared"


def test_declaring_needs_the_permission(make_incident, agent, manager):
    incident = make_incident()
    with pytest.raises(PermissionDenied):
        actions.declare_major(incident, reason="Big", manager=manager, acting_user=agent)
    assert not Incident.objects.get(pk=incident.pk).is_major


def test_declaring_needs_a_reason(make_incident, manager):
    incident = make_incident()
    with pytest.raises(ValidationError, match="major incident"):
        actions.declare_major(incident, reason="  ", manager=manager, acting_user=manager)


@pytest.mark.parametrize("who", ["agent", "nobody"])
def test_the_manager_must_be_an_incident_manager(make_incident, manager, agent, who):
    incident = make_incident()
    chosen = agent if who == "agent" else None
    with pytest.raises(ValidationError) as refused:
        actions.declare_major(incident, reason="Big", manager=chosen, acting_user=manager)
    assert "manager" in refused.value.message_dict


def test_declaring_twice_is_refused(major, manager):
    with pytest.raises(ValidationError, match="already"):
        actions.declare_major(major, reason="Again", manager=manager, acting_user=manager)


def test_an_update_is_logged_for_valid_addresses(major, manager):
    update = actions.post_major_update(
        major,
        body="Mail relay restarting",
        recipients=[" CIO@example.org", "cio@example.org", "desk@example.org"],
        acting_user=manager,
    )
    assert update.recipients == ["cio@example.org", "desk@example.org"]
    assert history_of(major).last().action == "major_update_posted"


def test_an_update_with_a_bad_address_is_refused(major, manager):
    with pytest.raises(ValidationError, match="not-an-address"):
        actions.post_major_update(
            major,
            body="Status",
            recipients=["ok@example.org", "not-an-address"],
            acting_user=manager,
        )
    assert not MajorIncidentUpdate.objects.exists()


def test_an_update_needs_a_major_incident(make_incident, manager):
    incident = make_incident()
    with pytest.raises(ValidationError, match="not a major incident"):
        actions.post_major_update(incident, body="x", recipients=[], acting_user=manager)


def test_completing_the_review_needs_every_section(major, manager):
    # given a review with two sections written
    actions.save_review(major, acting_user=manager, summary="Relay died", timeline="09:00 down")

    # when it is completed
    with pytest.raises(ValidationError) as refused:
        actions.save_review(major, acting_user=manager, complete=True, root_cause="Disk")

    # then the missing sections are named and nothing of this attempt was saved
    assert set(refused.value.message_dict) == {"lessons_learned", "follow_up_actions"}
    major.review.refresh_from_db()
    assert (major.review.root_cause, major.review.is_complete) == ("", False)


def test_a_major_incident_closes_only_after_a_complete_review(major, manager):
    # given a resolved major incident with its review not complete
    actions.resolve(
        major, code=ResolutionCode.SOLVED_PERMANENTLY, notes="Relay", acting_user=manager
    )

    # when it is closed
    with pytest.raises(ValidationError, match="review"):
        actions.close(major, acting_user=manager)
    assert Incident.objects.get(pk=major.pk).state == IncidentState.RESOLVED

    # then it closes once the review is complete
    actions.save_review(major, acting_user=manager, complete=True, **FULL_REVIEW)
    actions.close(major, acting_user=manager)
    assert Incident.objects.get(pk=major.pk).state == IncidentState.CLOSED
    assert verify_history() == []


def test_an_unknown_review_section_is_refused(major, manager):
    with pytest.raises(ValidationError) as refused:
        actions.save_review(major, acting_user=manager, blame="Bob")
    assert "blame" in refused.value.message_dict
