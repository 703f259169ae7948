"""Surveys: sent once when an incident is resolved or a request completes, answered once
through the signed link, summed up by ``survey_results``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.test import override_settings

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of
from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.choices import ResolutionCode
from watchkeeper.reporting import surveys
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.tests.test_surveys_support import (
    completed_request,
    resolved_incident,
    survey_paths,
)
from watchkeeper.requests import actions as request_actions

UTC = dt.UTC


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "caller": make_user("rita", Role.REQUESTER, first_name="Rita"),
        "agent": make_user("alex", Role.AGENT),
    }


def _survey_mails() -> list[Any]:
    return [message for message in mail.outbox if "How did we do?" in message.subject]


def test_resolving_an_incident_sends_one_survey_with_a_working_link(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given / when
    with django_capture_on_commit_callbacks(execute=True):
        incident = resolved_incident(people["caller"], people["agent"])
    # then
    sent = _survey_mails()
    assert len(sent) == 1
    assert sent[0].to == ["rita@example.org"]
    assert incident.number in sent[0].subject and incident.number in sent[0].body
    [path] = survey_paths()
    survey = Survey.objects.get(incident=incident)
    assert survey.recipient == people["caller"] and survey.answered_at is None
    assert surveys.survey_for(path.split("/")[2]) == survey


def test_a_reopened_and_resolved_again_incident_gets_no_second_survey(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    with django_capture_on_commit_callbacks(execute=True):
        incident = resolved_incident(people["caller"], people["agent"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        incident_actions.reopen(incident, reason="Still jams", acting_user=people["caller"])
        incident_actions.resolve(
            incident, code=ResolutionCode.SOLVED_PERMANENTLY, notes="New roller.",
            acting_user=people["agent"],
        )  # fmt: skip
    # then
    assert Survey.objects.filter(incident=incident).count() == 1
    assert len(_survey_mails()) == 1


@pytest.mark.parametrize(
    "case", ["imported", "caller resolved it", "resolved by caller code", "no e-mail"]
)
def test_no_survey_when_it_makes_no_sense(
    case: str,
    people: dict[str, Any],
    make_user: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    caller, agent, kwargs = people["caller"], people["agent"], {}
    if case == "imported":
        kwargs["channel"] = Channel.IMPORT
    elif case == "caller resolved it":
        caller = make_user("casey", Role.AGENT)
        kwargs["resolver"] = caller
    elif case == "resolved by caller code":
        kwargs["code"] = ResolutionCode.RESOLVED_BY_CALLER
    else:
        caller = make_user("nomail", Role.REQUESTER, email="")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        incident = resolved_incident(caller, agent, **kwargs)
    # then
    assert incident.state == "resolved"
    assert not Survey.objects.exists()
    assert _survey_mails() == []


@override_settings(SURVEYS=False)
def test_surveys_can_be_turned_off(people: dict[str, Any]) -> None:
    # when
    resolved_incident(people["caller"], people["agent"])
    # then
    assert not Survey.objects.exists()


def test_a_request_closed_complete_sends_a_survey_to_its_requester(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given / when
    with django_capture_on_commit_callbacks(execute=True):
        request = completed_request(people["caller"], people["agent"])
    # then
    survey = Survey.objects.get(service_request=request)
    assert survey.recipient == people["caller"] and survey.incident is None
    [message] = _survey_mails()
    assert request.number in message.body and "request" in message.body


def test_a_cancelled_request_gets_no_survey(people: dict[str, Any]) -> None:
    # given
    category_item = completed_request(people["caller"], people["agent"]).items.get().catalog_item
    line = request_actions.Line(item=category_item, answers={})
    request = request_actions.order(acting_user=people["caller"], lines=[line])
    # when
    request_actions.cancel(request, acting_user=people["caller"], reason="Not needed")
    # then
    assert not Survey.objects.filter(service_request=request).exists()


def test_answer_records_score_comment_and_history(people: dict[str, Any]) -> None:
    # given
    incident = resolved_incident(people["caller"], people["agent"])
    survey = Survey.objects.get(incident=incident)
    # when
    done = surveys.answer(survey, score=4, comment="  Quick, thanks!  ", channel=Channel.EMAIL)
    # then
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Quick, thanks!")
    assert survey.answered_at is not None and done.answered_at == survey.answered_at
    entry = history_of(incident).filter(action="survey_answered").get()
    assert entry.changes == {"score": {"old": None, "new": 4}}
    assert entry.actor_id == people["caller"].pk and entry.channel == Channel.EMAIL


def test_a_survey_is_answered_only_once(people: dict[str, Any]) -> None:
    # given
    survey = Survey.objects.get(incident=resolved_incident(people["caller"], people["agent"]))
    surveys.answer(survey, score=2, channel=Channel.EMAIL)
    # when / then
    with pytest.raises(Conflict, match="already answered"):
        surveys.answer(survey, score=5, comment="changed my mind", channel=Channel.EMAIL)
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (2, "")


@pytest.mark.parametrize(("score", "field"), [(0, "score"), (6, "score"), ("x", "score")])
def test_a_bad_score_is_refused_naming_the_field(
    people: dict[str, Any], score: Any, field: str
) -> None:
    # given
    survey = Survey.objects.get(incident=resolved_incident(people["caller"], people["agent"]))
    # when / then
    with pytest.raises(ValidationError) as refused:
        surveys.answer(survey, score=score, channel=Channel.EMAIL)
    assert field in refused.value.message_dict
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_tampered_and_expired_tokens_are_refused(people: dict[str, Any]) -> None:
    # given
    start = dt.datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        survey = Survey.objects.get(incident=resolved_incident(people["caller"], people["agent"]))
        token = surveys.token_for(survey)
    forged = signing.dumps({"survey": survey.pk}, salt="another.salt")
    # when / then
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        with pytest.raises(ValidationError, match="not valid"):
            surveys.survey_for(bad)
    with time_machine.travel(start + dt.timedelta(days=29), tick=False):
        assert surveys.survey_for(token) == survey
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        with pytest.raises(ValidationError, match="expired"):
            surveys.survey_for(token)
        with pytest.raises(ValidationError, match="expired"):  # a fresh token: same age limit
            surveys.survey_for(surveys.token_for(survey))


def test_pending_path_is_for_the_recipient_while_unanswered(people: dict[str, Any]) -> None:
    # given
    incident = resolved_incident(people["caller"], people["agent"])
    survey = Survey.objects.get(incident=incident)
    # when
    mine, theirs = (surveys.pending_path(incident, who) for who in people.values())
    surveys.answer(survey, score=5, channel=Channel.EMAIL)
    # then
    assert mine is not None and surveys.survey_for(mine.split("/")[2]) == survey
    assert theirs is None
    assert surveys.pending_path(incident, people["caller"]) is None


def _survey(record: Any, sent: dt.datetime, answered: dt.datetime | None = None,
            score: int | None = None, comment: str = "") -> Survey:  # fmt: skip
    kind = "incident" if record.number.startswith("INC") else "service_request"
    return Survey.objects.create(
        **{kind: record}, recipient=record.caller if kind == "incident" else record.requested_for,
        sent_at=sent, answered_at=answered, score=score, comment=comment,
    )  # fmt: skip


@override_settings(SURVEYS=False)  # the surveys below are made by hand, with chosen dates
def test_survey_results_figures_are_exact(
    people: dict[str, Any], make_group: Callable[..., Any]
) -> None:
    # given: five surveys sent in March, three answered in March, one in April; one sent in
    # February answered in March; one of another group and service
    caller, agent = people["caller"], people["agent"]
    service = create_ci(name="Mail", ci_class=CiClass.BUSINESS_SERVICE, acting_user=None)
    desk, other = make_group("Desk", members=(agent,)), make_group("Network", members=(agent,))
    mine = [resolved_incident(caller, agent, service=service, assignment_group=desk)
            for _ in range(6)]  # fmt: skip
    elsewhere = resolved_incident(caller, agent, assignment_group=other)
    march = dt.datetime(2025, 3, 10, 12, tzinfo=UTC)
    _survey(mine[0], march, march + dt.timedelta(hours=1), 5, "Great")
    _survey(mine[1], march, march + dt.timedelta(days=1), 4, "Fine")
    _survey(mine[2], march, march + dt.timedelta(days=2), 1)
    _survey(mine[3], march, dt.datetime(2025, 4, 2, tzinfo=UTC), 2, "Too late for March")
    _survey(mine[4], march)
    _survey(mine[5], dt.datetime(2025, 2, 20, tzinfo=UTC), march, 5, "From February")
    _survey(elsewhere, march, march, 3, "Other group")
    # when
    everything = surveys.survey_results(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    by_group = surveys.survey_results(
        dt.date(2025, 3, 1), dt.date(2025, 3, 31), service_id=service.pk, group_id=desk.pk
    )
    # then
    assert (everything.sent, everything.responded, everything.answered) == (6, 5, 5)
    assert everything.response_rate == 83.3 and everything.mean_score == 3.6  # 18 / 5
    assert everything.distribution == {1: 1, 2: 0, 3: 1, 4: 1, 5: 2}
    assert (by_group.sent, by_group.responded, by_group.answered) == (5, 4, 4)
    assert by_group.response_rate == 80.0 and by_group.mean_score == 3.75  # 15 / 4
    assert by_group.distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 2}
    assert [c.comment for c in by_group.comments] == ["Fine", "Great", "From February"]
    assert by_group.comments[0].record == mine[1].number and by_group.comments[0].score == 4


@override_settings(SURVEYS=False, TIME_ZONE="Europe/Zurich")
def test_survey_results_days_are_whole_days_in_the_reporting_time_zone(
    people: dict[str, Any],
) -> None:
    # given: answered 23:30 UTC on 31 March, already 1 April in Zurich
    incident = resolved_incident(people["caller"], people["agent"])
    late = dt.datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    _survey(incident, late, late, 3)
    # when
    march = surveys.survey_results(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    april = surveys.survey_results(dt.date(2025, 4, 1), dt.date(2025, 4, 1))
    # then
    assert (march.sent, march.answered) == (0, 0)
    assert (april.sent, april.answered, april.mean_score) == (1, 1, 3.0)
    assert surveys.period_bounds(dt.date(2025, 4, 1), dt.date(2025, 4, 1)) == (
        dt.datetime(2025, 4, 1, tzinfo=ZoneInfo("Europe/Zurich")),
        dt.datetime(2025, 4, 2, tzinfo=ZoneInfo("Europe/Zurich")),
    )


def test_survey_results_of_an_empty_period(db: None) -> None:
    # when
    empty = surveys.survey_results(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    # then
    assert (empty.sent, empty.answered, empty.response_rate, empty.mean_score) == (
        0, 0, None, None,
    )  # fmt: skip
    assert empty.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0} and empty.comments == []
