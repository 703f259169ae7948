"""The survey API: staff list surveys (``reporting.view``); anyone with the token answers once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
from watchkeeper.reporting import surveys
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.tests.test_surveys_support import completed_request, resolved_incident


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "caller": make_user("rita", Role.REQUESTER),
        "agent": make_user("alex", Role.AGENT),
    }


def _post(path: str, body: dict[str, Any]) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json")


def _answer_path(survey: Survey) -> str:
    return f"/api/v1/surveys/{surveys.token_for(survey)}/answer"


def test_answering_with_the_token_needs_no_authentication(people: dict[str, Any]) -> None:
    # given
    incident = resolved_incident(people["caller"], people["agent"])
    survey = Survey.objects.get(incident=incident)
    # when
    response = _post(_answer_path(survey), {"score": 3, "comment": "OK"})
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["record"], body["score"], body["comment"]) == (incident.number, 3, "OK")
    survey.refresh_from_db()
    assert survey.score == 3 and survey.answered_at is not None
    entry = history_of(incident).get(action="survey_answered")
    assert entry.channel == "api" and entry.changes["score"]["new"] == 3


def test_a_second_answer_is_409(people: dict[str, Any]) -> None:
    # given
    survey = Survey.objects.get(incident=resolved_incident(people["caller"], people["agent"]))
    _post(_answer_path(survey), {"score": 1})
    # when
    again = _post(_answer_path(survey), {"score": 5})
    # then
    assert again.status_code == 409
    assert "already answered" in again.json()["detail"]
    survey.refresh_from_db()
    assert survey.score == 1


def test_bad_tokens_and_scores_are_refused_naming_the_field(people: dict[str, Any]) -> None:
    # given
    survey = Survey.objects.get(incident=resolved_incident(people["caller"], people["agent"]))
    path = _answer_path(survey)
    # when
    tampered = _post(path.replace("/answer", "x/answer"), {"score": 4})
    too_high = _post(path, {"score": 6})
    unknown_field = _post(path, {"score": 4, "mood": "good"})
    with time_machine.travel(dt.timedelta(days=31)):
        expired = _post(path, {"score": 4})
    # then
    assert tampered.status_code == 400
    assert tampered.json()["detail"] == "token: This survey link is not valid."
    assert expired.status_code == 400
    assert expired.json()["detail"] == "token: This survey link has expired."
    assert too_high.status_code == 422 and "score" in too_high.json()["detail"]
    assert unknown_field.status_code == 422 and "mood" in unknown_field.json()["detail"]
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_staff_list_surveys_with_filters(
    people: dict[str, Any], make_user: Callable[..., Any], api_client: Callable[..., Client]
) -> None:
    # given
    incident = resolved_incident(people["caller"], people["agent"])
    request = completed_request(people["caller"], people["agent"])
    surveys.answer(Survey.objects.get(incident=incident), score=2, channel="api")
    client = api_client(make_user("olga", Role.SERVICE_OWNER))
    # when
    everything = client.get("/api/v1/surveys").json()
    answered = client.get("/api/v1/surveys", {"answered": "true"}).json()
    waiting = client.get("/api/v1/surveys", {"answered": "false"}).json()
    by_record = client.get("/api/v1/surveys", {"record": request.number}).json()
    by_score = client.get("/api/v1/surveys", {"score": 2}).json()
    # then
    assert everything["count"] == 2
    assert [row["record"] for row in answered["items"]] == [incident.number]
    assert answered["items"][0]["score"] == 2 and answered["items"][0]["record_type"] == "incident"
    assert [row["record"] for row in waiting["items"]] == [request.number]
    assert by_record["items"][0]["record_type"] == "request"
    assert by_record["items"][0]["recipient"] == "rita" and by_record["items"][0]["score"] is None
    assert [row["record"] for row in by_score["items"]] == [incident.number]


def test_requesters_and_anonymous_callers_cannot_list_surveys(
    people: dict[str, Any], api_client: Callable[..., Client]
) -> None:
    # given
    resolved_incident(people["caller"], people["agent"])
    # when
    as_requester = api_client(people["caller"]).get("/api/v1/surveys")
    as_nobody = Client().get("/api/v1/surveys")
    # then
    assert as_requester.status_code == 403 and "items" not in as_requester.json()
    assert as_nobody.status_code == 401
