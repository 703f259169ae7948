"""The incident checks: each finds exactly the incidents that deviate, and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.incidents import actions
from watchkeeper.incidents.models import Incident, PostIncidentReview, PriorityRule
from watchkeeper.sla.choices import ClockStatus, Metric
from watchkeeper.sla.models import Calendar, SlaClock, SlaDefinition


@pytest.fixture
def people(make_user, make_group):
    agent = make_user("alex", Role.AGENT)
    boss = make_user("gina", Role.RESOLVER)
    return {
        "agent": agent,
        "boss": boss,
        "manager": make_user("morgan", Role.INCIDENT_MANAGER),
        "desk": make_group("Service desk", members=(agent,), manager=boss),
    }


def resolved(make_incident, people, text="Printer jams", notes="Cleared the paper path."):
    incident = make_incident(text)
    actions.resolve(incident, code="solved_permanently", notes=notes, acting_user=people["agent"])
    return incident


def labels(found):
    return sorted(deviation.label for deviation in found)


def test_resolved_or_closed_incidents_without_notes_are_found(make_incident, people, deviations):
    # given one resolved with notes, one resolved and one closed whose notes are blank, one
    # canceled and one open without notes
    fine = resolved(make_incident, people)
    blank = resolved(make_incident, people, "Mail down")
    spaces = resolved(make_incident, people, "VPN down")
    actions.close(spaces, acting_user=people["agent"])
    Incident.objects.filter(pk=blank.pk).update(resolution_notes="")
    Incident.objects.filter(pk=spaces.pk).update(resolution_notes="   ")
    canceled = make_incident("Wrong ticket")
    actions.cancel(canceled, reason="Duplicate", acting_user=people["agent"])
    Incident.objects.filter(pk=canceled.pk).update(resolution_notes="")
    make_incident("Still open")
    # when
    found = deviations("incidents.resolved_without_notes")
    # then exactly the resolved and the closed one without notes
    assert labels(found) == sorted([blank.number, spaces.number])
    assert fine.number not in labels(found)
    by_label = {d.label: d for d in found}
    assert by_label[spaces.number].summary == f"{spaces.number} is closed without resolution notes."
    assert by_label[blank.number].model is Incident
    assert by_label[blank.number].object_id == str(blank.pk)


def test_a_priority_that_differs_from_the_matrix_without_a_reason_is_found(
    make_incident, people, deviations
):
    # given one by the matrix, one overridden with a reason, one changed without a reason
    by_matrix = make_incident("By the matrix", acting_user=people["agent"], impact=2, urgency=2)
    overridden = make_incident("Overridden", acting_user=people["agent"], impact=3, urgency=3)
    actions.override_priority(
        overridden, priority=2, reason="The CEO's laptop", acting_user=people["manager"]
    )
    silent = make_incident("Silent", acting_user=people["agent"], impact=3, urgency=3)
    Incident.objects.filter(pk=silent.pk).update(priority=1)
    # when
    found = deviations("incidents.priority_override_without_reason")
    # then only the silent change
    assert labels(found) == [silent.number]
    assert found[0].summary == (
        f"{silent.number} has priority 1 - Critical where the matrix gives 5 - Planning "
        "(impact 3 x urgency 3), with no reason recorded."
    )
    assert by_matrix.number not in labels(found)


def test_the_configured_matrix_decides_what_differs(make_incident, people, deviations):
    # given the administrator made impact 3 x urgency 3 a priority 4
    incident = make_incident("Low", acting_user=people["agent"], impact=3, urgency=3)
    assert incident.priority == 5
    PriorityRule.objects.update_or_create(impact=3, urgency=3, defaults={"priority": 4})
    # when
    found = deviations("incidents.priority_override_without_reason")
    # then the incident prioritised by the old cell differs now
    assert labels(found) == [incident.number]


def test_major_incidents_closed_without_a_completed_review_are_found(
    make_incident, people, deviations
):
    # given majors closed without a review, with an incomplete one, with a complete one, and
    # a major that is only resolved and a closed incident that is not major
    def major(text):
        incident = resolved(make_incident, people, text)
        Incident.objects.filter(pk=incident.pk).update(
            is_major=True, major_manager=people["manager"], state="closed"
        )
        return incident

    no_review, incomplete, complete = major("No review"), major("Draft"), major("Done")
    PostIncidentReview.objects.create(incident=incomplete, summary="Draft")
    PostIncidentReview.objects.create(incident=complete, completed_at=timezone.now())
    only_resolved = resolved(make_incident, people, "Resolved major")
    Incident.objects.filter(pk=only_resolved.pk).update(is_major=True)
    minor = resolved(make_incident, people, "Minor")
    actions.close(minor, acting_user=people["agent"])
    # when
    found = deviations("incidents.major_closed_without_review")
    # then the two closed without a completed review; the major manager is the first owner
    assert labels(found) == sorted([no_review.number, incomplete.number])
    assert found[0].owners[0] == people["manager"].pk
    assert "without a completed post-incident review" in found[0].summary


def _clock(definition, incident, **fields):
    now = timezone.now()
    values = {"status": ClockStatus.MET, "target_seconds": 3600.0, "started_at": now,
              "computed_at": now, **fields}  # fmt: skip
    return SlaClock.objects.create(
        definition=definition,
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
        **values,
    )


def test_sla_breaches_without_a_recorded_reason_are_found(make_incident, people, deviations):
    # given clocks (an inactive definition: no clock is computed for new incidents)
    calendar = Calendar.objects.create(name="24x7", always_open=True)
    resolution = SlaDefinition.objects.create(
        name="Resolution P3", metric=Metric.RESOLUTION, calendar=calendar, is_active=False
    )
    past = timezone.now() - dt.timedelta(hours=2)
    unexplained = make_incident("Unexplained")
    explained = make_incident("Explained")
    shouting = make_incident("Explained loudly")
    running_late = make_incident("Running late")
    met = make_incident("Met")
    _clock(resolution, unexplained, breached_at=past)
    _clock(resolution, explained, breached_at=past)
    _clock(resolution, shouting, breached_at=past)
    _clock(resolution, running_late, status=ClockStatus.RUNNING, due_at=past)
    _clock(resolution, met)
    actions.add_work_note(explained, body="SLA breach: the vendor was late.",
                          acting_user=people["agent"])  # fmt: skip
    actions.add_comment(shouting, body="sla BREACH: waiting for the caller",
                        acting_user=people["agent"])  # fmt: skip
    actions.add_work_note(unexplained, body="Breach because of the vendor",
                          acting_user=people["agent"])  # fmt: skip
    # when
    found = deviations("incidents.sla_breach_without_reason")
    # then the breached and the late one without a note starting "SLA breach:"
    assert labels(found) == sorted([unexplained.number, running_late.number])
    summary = {d.label: d.summary for d in found}[unexplained.number]
    assert summary == (
        f"{unexplained.number} breached Resolution P3 with no reason recorded (a note starting "
        '"SLA breach:").'
    )


def test_incidents_reassigned_more_than_the_limit_are_found(
    make_incident, people, deviations, settings
):
    # given a limit of 2 and incidents reassigned 2 and 3 times
    settings.AUDIT_REASSIGNMENT_LIMIT = 2
    twice = make_incident("Twice", acting_user=people["agent"], assignment_group=people["desk"])
    thrice = make_incident("Thrice", acting_user=people["agent"], assignment_group=people["desk"])
    Incident.objects.filter(pk=twice.pk).update(reassignment_count=2)
    Incident.objects.filter(pk=thrice.pk).update(reassignment_count=3)
    # when
    found = deviations("incidents.reassigned_too_often")
    # then only the one above the limit, owned first by its group's manager
    assert labels(found) == [thrice.number]
    assert found[0].summary == f"{thrice.number} was reassigned 3 times (the limit is 2)."
    assert found[0].owners == (people["boss"].pk,)


def test_the_reassignment_limit_is_a_setting(make_incident, deviations, settings):
    # given WATCHKEEPER_AUDIT_REASSIGNMENT_LIMIT=5
    settings.AUDIT_REASSIGNMENT_LIMIT = 5
    four, six = make_incident("Four"), make_incident("Six")
    Incident.objects.filter(pk=four.pk).update(reassignment_count=4)
    Incident.objects.filter(pk=six.pk).update(reassignment_count=6)
    # when
    found = deviations("incidents.reassigned_too_often")
    # then
    assert labels(found) == [six.number]
