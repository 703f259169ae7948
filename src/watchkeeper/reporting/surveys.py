"""Satisfaction surveys: one per resolved incident or completed request, sent to its caller (or
the person a request is for) by e-mail with a signed link, answered once with a score of 1 to 5
and a comment, and summed up by ``survey_results`` for dashboards and reports.

The actions call ``incident_resolved`` and ``request_closed`` inside their own transaction (the
record's row is locked there, so one record never gets two surveys); the e-mail goes through
``core.notifications`` and so leaves only once the transaction commits. The link is
``/survey/<token>/``: the token names the survey, signed with the secret key (salt
``watchkeeper.survey``), and lasts ``SURVEY_LINK_DAYS`` days from sending. It stands for the
recipient, so answering needs no login. See docs/surveys.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import record_change
from watchkeeper.core.notifications import notify, register_kind, wants
from watchkeeper.incidents.choices import ResolutionCode
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.models import Survey
from watchkeeper.requests.choices import RequestState
from watchkeeper.requests.models import ServiceRequest

SALT = "watchkeeper.survey"
KIND = "surveys"
SCORES: dict[int, str] = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neither satisfied nor dissatisfied",
    4: "Satisfied",
    5: "Very satisfied",
}
MAX_COMMENT = 5_000
EXPIRED = "This survey link has expired."
NOT_VALID = "This survey link is not valid."

register_kind(
    KIND,
    "Satisfaction surveys",
    "One short question when an incident of yours is resolved or a request is completed.",
)

Record = Incident | ServiceRequest


# --- the signed link --------------------------------------------------------------------------


def link_days() -> int:
    return int(settings.SURVEY_LINK_DAYS)


def token_for(survey: Survey) -> str:
    return signing.dumps({"survey": survey.pk}, salt=SALT)


def path_for(survey: Survey) -> str:
    return f"/survey/{token_for(survey)}/"


def survey_for(token: str) -> Survey:
    """The survey the link names; ValidationError ("token") when it was tampered with, names no
    survey, or was sent more than ``SURVEY_LINK_DAYS`` days ago."""
    max_age = dt.timedelta(days=link_days())
    try:
        claims = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError({"token": EXPIRED}) from None
    except signing.BadSignature:
        raise ValidationError({"token": NOT_VALID}) from None
    survey_id = claims.get("survey") if isinstance(claims, dict) else None
    related = ("incident", "service_request", "recipient")
    found = None
    if isinstance(survey_id, int) and not isinstance(survey_id, bool):
        found = Survey.objects.select_related(*related).filter(pk=survey_id).first()
    if found is None:
        raise ValidationError({"token": NOT_VALID})
    if timezone.now() - found.sent_at > max_age:  # a link made later never outlives the survey
        raise ValidationError({"token": EXPIRED})
    return found


def record_of(survey: Survey) -> Record:
    record = survey.incident if survey.incident_id is not None else survey.service_request
    assert record is not None  # the database allows exactly one of the two
    return record


def pending_path(record: Record, user: Any) -> str | None:
    """The survey link for ``user``'s own record page while its survey waits for them (and the
    link still works); None otherwise."""
    where = Q(incident=record) if isinstance(record, Incident) else Q(service_request=record)
    since = timezone.now() - dt.timedelta(days=link_days())
    survey = (
        Survey.objects.filter(where, recipient_id=getattr(user, "pk", None))
        .filter(answered_at__isnull=True, sent_at__gt=since)
        .first()
    )
    return path_for(survey) if survey is not None else None


# --- sending ----------------------------------------------------------------------------------


def incident_resolved(incident: Incident, *, acting_user: Any, channel: str) -> Survey | None:
    """Called by ``incidents.actions.resolve`` in its transaction: survey the caller, unless
    surveys are off, the incident was imported, the caller resolved it, the caller cannot get
    it by e-mail, or the incident had one already (a re-resolved incident is not asked again)."""
    caller = incident.caller
    if (
        Channel.IMPORT in (incident.channel, channel)
        or incident.resolution_code == ResolutionCode.RESOLVED_BY_CALLER
        or (acting_user is not None and acting_user.pk == incident.caller_id)
    ):
        return None
    return _send(incident, caller)


def request_closed(request: ServiceRequest, *, acting_user: Any, channel: str) -> Survey | None:
    """Called when a request settles (``requests.actions``): once it is closed complete, survey
    the person it is for, on the same terms as incidents."""
    if (
        request.state != RequestState.CLOSED_COMPLETE
        or Channel.IMPORT in (request.channel, channel)
        or (acting_user is not None and acting_user.pk == request.requested_for_id)
    ):
        return None
    return _send(request, request.requested_for)


def _send(record: Record, recipient: Any) -> Survey | None:
    if not settings.SURVEYS or not wants(recipient, KIND):
        return None
    of_record = {"incident" if isinstance(record, Incident) else "service_request": record}
    if Survey.objects.filter(**of_record).exists():  # one per record: re-resolving asks nothing
        return None
    survey = Survey.objects.create(**of_record, recipient=recipient, sent_at=timezone.now())
    link = path_for(survey)
    notify(
        [recipient],
        kind=KIND,
        subject=f"How did we do? {record.number} {record.short_description}",
        template="reporting/survey_email.txt",
        context={
            "record": record,
            "is_incident": isinstance(record, Incident),
            "link": link,
            "link_days": link_days(),
        },
        url=link,
    )
    return survey


# --- answering --------------------------------------------------------------------------------


def clean_answer(score: Any, comment: str) -> tuple[int, str]:
    """The score (1-5) and the comment (plain text), or ValidationError naming the field."""
    errors: dict[str, str] = {}
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score)
    if isinstance(score, bool) or score not in SCORES:
        errors["score"] = "Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment within {MAX_COMMENT} characters."
    elif "\x00" in text:
        errors["comment"] = "The comment must not contain NUL characters."
    if errors:
        raise ValidationError(errors)
    return int(score), text


def answer(survey: Survey, *, score: Any, comment: str = "", channel: str) -> Survey:
    """Record the recipient's answer, once: the survey row is locked, and an answered survey
    refuses another (Conflict, 409). The record's history gets ``survey_answered``."""
    score, text = clean_answer(score, comment)
    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        if current.answered_at is not None:
            when = timezone.localtime(current.answered_at).strftime("%Y-%m-%d %H:%M")
            raise Conflict(f"This survey was already answered ({when}); thank you.")
        current.score, current.comment, current.answered_at = score, text, timezone.now()
        current.save(update_fields=["score", "comment", "answered_at"])
        record_change(
            record_of(current),
            action="survey_answered",
            actor=current.recipient,
            channel=channel,
            changes={"score": (None, score)},
        )
    return current


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyComment:
    record: str
    score: int
    comment: str
    answered_at: dt.datetime


@dataclass(frozen=True)
class SurveyResults:
    """``sent`` surveys went out in the period, and ``responded`` of them were answered (by
    now): ``response_rate`` is their share in % (None when none went out). The scores are the
    ``answered`` answers given in the period: their ``mean_score`` (None without any), their
    ``distribution`` (score -> count, 1 to 5) and the last ten with a comment."""

    sent: int
    responded: int
    response_rate: float | None
    answered: int
    mean_score: float | None
    distribution: dict[int, int] = field(default_factory=dict)
    comments: list[SurveyComment] = field(default_factory=list)


Moment = dt.date | dt.datetime


def period_bounds(start: Moment, end: Moment) -> tuple[dt.datetime, dt.datetime]:
    """``[from, to)``: datetimes as given; dates are whole days in the reporting time zone
    (``TIME_ZONE``), both included."""
    zone = ZoneInfo(settings.TIME_ZONE)

    def moment(value: Moment, next_day: bool) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        day = value + dt.timedelta(days=1) if next_day else value
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)

    return moment(start, False), moment(end, True)


def scoped(service_id: int | None = None, group_id: int | None = None) -> QuerySet[Survey]:
    """Surveys of incidents of the service (requests have none), and of incidents assigned to
    the group or requests with an item it fulfils."""
    rows = Survey.objects.all()
    if service_id is not None:
        rows = rows.filter(incident__service_id=service_id)
    if group_id is not None:
        of_requests = ServiceRequest.objects.filter(items__fulfilment_group_id=group_id)
        rows = rows.filter(
            Q(incident__assignment_group_id=group_id)
            | Q(service_request__in=of_requests.values("pk"))
        )
    return rows


def survey_results(
    start: Moment, end: Moment, service_id: int | None = None, group_id: int | None = None
) -> SurveyResults:
    """The survey figures of a period (see ``SurveyResults``), for a service or group if given."""
    since, until = period_bounds(start, end)
    rows = scoped(service_id, group_id)
    sent_rows = rows.filter(sent_at__gte=since, sent_at__lt=until)
    sent = sent_rows.count()
    responded = sent_rows.filter(answered_at__isnull=False).count()
    answers = rows.filter(answered_at__gte=since, answered_at__lt=until)
    counts = dict(answers.order_by().values_list("score").annotate(n=Count("pk")))
    distribution = {score: counts.get(score, 0) for score in SCORES}
    answered = sum(distribution.values())
    total = sum(score * count for score, count in distribution.items())
    latest = (
        answers.exclude(comment="")
        .select_related("incident", "service_request")
        .order_by("-answered_at", "-pk")[:10]
    )
    return SurveyResults(
        sent=sent,
        responded=responded,
        response_rate=round(100 * responded / sent, 1) if sent else None,
        answered=answered,
        mean_score=round(total / answered, 2) if answered else None,
        distribution=distribution,
        comments=[_comment(survey) for survey in latest],
    )


def _comment(survey: Survey) -> SurveyComment:
    assert survey.score is not None and survey.answered_at is not None
    return SurveyComment(
        record=record_of(survey).number,
        score=survey.score,
        comment=survey.comment,
        answered_at=survey.answered_at,
    )
