"""Suggestions and deflections over the API: the articles matching a text (what a portal shows
while someone types), the knowledge suggested for an incident (staff), and the deflection counts
(staff; the definition is in ``knowledge.deflection``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from watchkeeper.core.api import ApiFilterSchema, caller, requires
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.incidents.api_support import visible
from watchkeeper.knowledge import deflection, suggest
from watchkeeper.knowledge.permissions import KnowledgePermission as P
from watchkeeper.problems.permissions import ProblemPermission

router = Router(tags=["knowledge"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DEFAULT_PERIOD = dt.timedelta(days=30)


class SuggestionOut(Schema):
    number: str
    title: str
    excerpt: str = Field(..., description="The start of the article, as plain text")
    score: float = Field(..., description="Higher is a better match; only the order matters")
    matched: list[str] = Field(..., description="The words of the text it matched")


class SuggestionsQuery(ApiFilterSchema):
    text: str = Field(..., min_length=1, max_length=5_000, description="What the person typed")
    limit: int = Field(5, ge=1, le=20)


class KnownErrorOut(Schema):
    number: str
    short_description: str
    workaround: str
    article: str | None = Field(None, description="The known error's article, if published")
    score: float
    reasons: list[str]


class IncidentKnowledgeOut(Schema):
    articles: list[SuggestionOut]
    known_errors: list[KnownErrorOut]


class ArticleDeflectionsOut(Schema):
    number: str
    title: str
    deflections: int


class DeflectionsOut(Schema):
    since: dt.datetime
    until: dt.datetime
    total: int = Field(..., description="Drafts deflected (each counts once)")
    articles: list[ArticleDeflectionsOut]


class PeriodQuery(ApiFilterSchema):
    since: dt.datetime | None = Field(None, description="Default: 30 days before until")
    until: dt.datetime | None = Field(None, description="Default: now")


@router.get(
    "/knowledge/suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    operation_id="suggest_articles",
    description="The published articles the caller may read that best match `text` (a "
    "sentence, not a search query: each meaningful word counts). Nothing is recorded.",
)
@requires(P.READ)
def suggest_articles(
    request: HttpRequest, query: Query[SuggestionsQuery]
) -> list[suggest.Suggestion]:
    return suggest.articles_for(query.text, caller(request), query.limit)


@router.get(
    "/incidents/{number}/knowledge",
    response={200: IncidentKnowledgeOut, **ERRORS},
    operation_id="get_incident_knowledge",
    description="The articles and known errors suggested for an incident (staff only; known "
    "errors for those who read problems).",
)
@requires(P.READ_INTERNAL)
def incident_knowledge(request: HttpRequest, number: str) -> dict[str, Any]:
    user = caller(request)
    incident = visible(user, number)
    known = suggest.known_errors_for(incident) if user.has_perm(ProblemPermission.VIEW) else []
    skip = {match.problem.article_id for match in known if match.problem.article_id}
    text = f"{incident.short_description} {incident.description}"
    articles = suggest.articles_for(text, user, exclude={pk for pk in skip if pk is not None})
    known_out = [
        {"number": m.problem.number, "short_description": m.problem.short_description,
         "workaround": m.problem.workaround, "score": m.score, "reasons": m.reasons,
         "article": m.problem.article.number if m.problem.article else None}
        for m in known
    ]  # fmt: skip
    return {"articles": articles, "known_errors": known_out}


def _aware(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@router.get(
    "/knowledge/deflections",
    response={200: DeflectionsOut, **ERRORS},
    operation_id="get_knowledge_deflections",
    description="Deflections in [since, until): portal drafts in which a suggested article was "
    "opened or said to solve the problem and from which no incident was submitted (a 'solved' "
    "counts at once, an article only opened after an hour without an incident). A draft "
    "counts in the period of its first opened article; per article, each draft that opened it.",
)
@requires(P.READ_INTERNAL)
def knowledge_deflections(
    request: HttpRequest, period: Query[PeriodQuery]
) -> deflection.Deflections:
    until = _aware(period.until) if period.until else timezone.now()
    since = _aware(period.since) if period.since else until - DEFAULT_PERIOD
    if since >= until:
        raise ValidationError({"since": "Must be before until."})
    return deflection.report(since, until)
