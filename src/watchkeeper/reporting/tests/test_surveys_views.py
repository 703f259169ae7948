"""The survey pages: answering through the e-mailed link without logging in, and the staff's
list of answers at /desk/surveys/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
from watchkeeper.reporting import surveys
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.tests.test_surveys_support import (
    completed_request,
    resolved_incident,
    survey_paths,
)


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "caller": make_user("rita", Role.REQUESTER, first_name="Rita"),
        "agent": make_user("alex", Role.AGENT),
    }


@pytest.fixture
def mailed_path(people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> str:
    """The link of the survey e-mailed when Rita's incident was resolved."""
    with django_capture_on_commit_callbacks(execute=True):
        resolved_incident(people["caller"], people["agent"], text="VPN <b>drops</b>")
    [path] = survey_paths()
    return path


def test_the_link_shows_the_record_and_the_question_without_login(mailed_path: str) -> None:
    # when
    page = Client().get(mailed_path)
    # then
    assert page.status_code == 200
    survey = Survey.objects.get()
    body = page.content.decode()
    assert survey.incident is not None and survey.incident.number in body
    assert "VPN &lt;b&gt;drops&lt;/b&gt;" in body  # the caller's text is escaped
    assert 'type="radio"' in body and "Very dissatisfied" in body and "Very satisfied" in body
    assert "csrfmiddlewaretoken" in body


def test_answering_through_the_link_stores_the_answer_and_writes_history(
    mailed_path: str,
) -> None:
    # given
    client = Client(enforce_csrf_checks=True)
    form = client.get(mailed_path)
    token = form.cookies["csrftoken"].value
    # when
    answered = client.post(
        mailed_path,
        {"score": "5", "comment": "<script>x</script> Fast!", "csrfmiddlewaretoken": token},
        follow=True,
    )
    # then
    assert answered.status_code == 200
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (5, "<script>x</script> Fast!")
    body = answered.content.decode()
    assert "Thank you" in body and "&lt;script&gt;x&lt;/script&gt; Fast!" in body
    assert "<script>x</script>" not in body
    assert survey.incident is not None
    entry = history_of(survey.incident).get(action="survey_answered")
    assert entry.changes["score"] == {"old": None, "new": 5}


def test_the_form_needs_its_csrf_token(mailed_path: str) -> None:
    # when
    refused = Client(enforce_csrf_checks=True).post(mailed_path, {"score": "3"})
    # then
    assert refused.status_code == 403
    assert Survey.objects.get().answered_at is None


def test_a_second_answer_is_refused(mailed_path: str) -> None:
    # given
    Client().post(mailed_path, {"score": "2", "comment": "Slow"})
    # when
    again = Client().post(mailed_path, {"score": "5", "comment": "Changed my mind"})
    shown = Client().get(mailed_path)
    # then
    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    assert shown.status_code == 200 and "Slow" in shown.content.decode()
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (2, "Slow")
    assert survey.incident is not None
    assert history_of(survey.incident).filter(action="survey_answered").count() == 1


def test_a_missing_score_is_shown_beside_the_field(mailed_path: str) -> None:
    # when
    page = Client().post(mailed_path, {"comment": "No score"})
    # then
    assert page.status_code == 400
    assert "Choose a score from 1 to 5." in page.content.decode()
    assert Survey.objects.get().answered_at is None


def test_a_logged_in_user_answers_through_the_same_link(
    mailed_path: str, people: dict[str, Any]
) -> None:
    # given
    client = Client()
    client.force_login(people["caller"])
    # when
    client.post(mailed_path, {"score": "4"})
    # then
    assert Survey.objects.get().score == 4


def test_tampered_and_expired_links_answer_400(mailed_path: str) -> None:
    # given
    token = mailed_path.split("/")[2]
    tampered = f"/survey/{token[:-3]}abc/"
    # when
    bad = Client().get(tampered)
    bad_post = Client().post(tampered, {"score": "5"})
    with time_machine.travel(dt.timedelta(days=31)):
        expired = Client().post(mailed_path, {"score": "5"})
    # then
    assert bad.status_code == bad_post.status_code == expired.status_code == 400
    assert "This survey link is not valid." in bad.content.decode()
    assert "This survey link has expired." in expired.content.decode()
    assert Survey.objects.get().answered_at is None


def test_a_request_survey_names_the_request(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    with django_capture_on_commit_callbacks(execute=True):
        request = completed_request(people["caller"], people["agent"])
    [path] = survey_paths()
    # when
    page = Client().get(path)
    # then
    assert page.status_code == 200 and request.number in page.content.decode()


def _answered(people: dict[str, Any], text: str, score: int, comment: str) -> Survey:
    survey = Survey.objects.get(
        incident=resolved_incident(people["caller"], people["agent"], text=text)
    )
    return surveys.answer(survey, score=score, comment=comment, channel="email")


def test_staff_list_answers_with_figures_and_filters(
    people: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    # given
    low = _answered(people, "Mail slow", 1, "Took <i>days</i>")
    _answered(people, "Mail fast", 5, "Great")
    owner = make_user("olga", Role.SERVICE_OWNER)
    client = Client()
    client.force_login(owner)
    # when
    everything = client.get("/desk/surveys/")
    only_low = client.get("/desk/surveys/", {"score": "1"})
    # then
    assert everything.status_code == 200
    assert everything.context["results"].answered == 2
    assert everything.context["results"].mean_score == 3.0
    assert len(everything.context["page"].object_list) == 2
    assert [s.pk for s in only_low.context["page"].object_list] == [low.pk]
    body = only_low.content.decode()
    assert low.incident is not None and f"/desk/incidents/{low.incident.number}/" in body
    assert "Took &lt;i&gt;days&lt;/i&gt;" in body


def test_the_list_period_filter_and_its_errors(
    people: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    # given
    _answered(people, "Mail slow", 3, "")
    client = Client()
    client.force_login(make_user("olga", Role.SERVICE_OWNER))
    # when
    past = client.get("/desk/surveys/", {"start": "2020-01-01", "end": "2020-01-31"})
    backwards = client.get("/desk/surveys/", {"start": "2020-02-01", "end": "2020-01-01"})
    # then
    assert past.status_code == 200 and list(past.context["page"].object_list) == []
    assert "No answers in this period" in past.content.decode()
    assert backwards.status_code == 400
    assert "The end must not be before the start." in backwards.content.decode()


def test_requesters_and_visitors_cannot_list_surveys(people: dict[str, Any]) -> None:
    # given
    _answered(people, "Mail slow", 1, "secret comment")
    requester = Client()
    requester.force_login(people["caller"])
    # when
    as_requester = requester.get("/desk/surveys/")
    as_visitor = Client().get("/desk/surveys/")
    # then
    assert as_requester.status_code == 403
    assert "secret comment" not in as_requester.content.decode()
    assert as_visitor.status_code == 302 and "/login" in as_visitor["Location"]


def test_the_callers_ticket_page_links_to_the_waiting_survey_until_answered(
    people: dict[str, Any], mailed_path: str
) -> None:
    # given Rita, logged in, on her resolved incident's page
    client = Client()
    client.force_login(people["caller"])
    incident = Survey.objects.get().incident
    assert incident is not None
    page = f"/portal/incidents/{incident.number}/"
    # then the page asks for the survey, with the link
    body = client.get(page).content.decode()
    assert "How did we do?" in body
    link = body.split('<a href="/survey/')[1].split('"')[0]
    assert surveys.survey_for(link.strip("/")) == Survey.objects.get()
    # and once answered it asks no more
    client.post(mailed_path, {"score": "4", "comment": ""})
    assert "How did we do?" not in client.get(page).content.decode()
