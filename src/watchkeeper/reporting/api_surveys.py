"""Surveys over the API: the list for staff with ``reporting.view``, and answering with the
signed token from the e-mail (no authentication: the token stands for its recipient)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiFilterSchema, ApiSchema, Pagination, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.reporting import surveys
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.permissions import ReportingPermission as P

router = Router(tags=["surveys"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SurveyOut(Schema):
    id: int
    record: str = Field(..., description="INC… or REQ…")
    record_type: str = Field(..., description='"incident" or "request"')
    short_description: str
    recipient: str = Field(..., alias="recipient.username")
    sent_at: dt.datetime
    answered_at: dt.datetime | None
    score: int | None = Field(None, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: str

    @staticmethod
    def resolve_record(survey: Survey) -> str:
        return surveys.record_of(survey).number

    @staticmethod
    def resolve_record_type(survey: Survey) -> str:
        return "incident" if survey.incident_id is not None else "request"

    @staticmethod
    def resolve_short_description(survey: Survey) -> str:
        return surveys.record_of(survey).short_description


class SurveyFilters(ApiFilterSchema):
    answered: bool | None = Field(None, description="true: answered only; false: waiting only")
    record: str | None = Field(None, max_length=16, description="An INC… or REQ… number")
    score: int | None = Field(None, ge=1, le=5)


class AnswerIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(..., ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: str = Field("", max_length=surveys.MAX_COMMENT, description="Plain text")


class AnswerOut(Schema):
    record: str
    score: int
    comment: str
    answered_at: dt.datetime


@router.get("/surveys", response=list[SurveyOut], operation_id="list_surveys")
@requires(P.VIEW)
@paginate(Pagination)
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> QuerySet[Survey]:
    """Surveys sent, the newest first; filter by whether they were answered, by record, by
    score."""
    rows = Survey.objects.select_related("incident", "service_request", "recipient")
    if filters.answered is not None:
        rows = rows.filter(answered_at__isnull=not filters.answered)
    if filters.record:
        number = filters.record.strip().upper()
        rows = rows.filter(Q(incident__number=number) | Q(service_request__number=number))
    if filters.score is not None:
        rows = rows.filter(score=filters.score)
    return rows.order_by("-sent_at", "-pk")


@router.post(
    "/surveys/{token}/answer",
    auth=None,
    response={200: AnswerOut, 409: ErrorOut, **ERRORS},
    operation_id="answer_survey",
    description="Answer a survey with the token of its link (`/survey/<token>/`), once: no "
    "authentication is needed. An expired or altered token answers 400 naming `token`; a "
    "survey already answered, 409.",
)
def answer_survey(request: HttpRequest, token: str, payload: AnswerIn) -> dict[str, Any]:
    survey = surveys.survey_for(token)
    done = surveys.answer(survey, score=payload.score, comment=payload.comment, channel=Channel.API)
    return {
        "record": surveys.record_of(done).number,
        "score": done.score,
        "comment": done.comment,
        "answered_at": done.answered_at,
    }
