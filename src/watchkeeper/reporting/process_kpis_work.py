"""Process KPIs of the desk's other work: requests, approvals, problems, known errors, knowledge
deflection, access reviews and satisfaction surveys. docs/kpis.md, "Other processes"."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, F, Min, Q

from watchkeeper.access.choices import ReviewDecision
from watchkeeper.access.models import ReviewItem
from watchkeeper.cmdb.graph import chunks
from watchkeeper.core.models import HistoryEntry
from watchkeeper.knowledge import deflection
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import ArticleUse
from watchkeeper.problems.models import Problem, ProblemIncident
from watchkeeper.reporting import incident_kpis
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.process_kpis_base import (
    DAY,
    HOUR,
    Kpi,
    Window,
    drill,
    mean_duration,
    percent,
)
from watchkeeper.requests.choices import ApprovalState, RequestState
from watchkeeper.requests.models import Approval, ServiceRequest

#: A score of at least this is "satisfied" (4 and 5 of 1 to 5).
SATISFIED = 4


def request_fulfilment_kpi(window: Window) -> Kpi:
    """Mean hours from ordering to closing of the requests closed complete in the period."""
    closed = ServiceRequest.objects.filter(
        state=RequestState.CLOSED_COMPLETE, **window.during("closed_at")
    )
    value, count = mean_duration(closed, "created_at", "closed_at", HOUR)
    return Kpi(
        "request_fulfilment_time", "Request fulfilment time", value, "hours", denominator=count
    )


def approval_time_kpi(window: Window) -> Kpi:
    """Mean hours from asking an approver to their decision, for decisions in the period."""
    decided = Approval.objects.filter(
        state__in=(ApprovalState.APPROVED, ApprovalState.REJECTED), **window.during("decided_at")
    )
    value, count = mean_duration(decided, "created_at", "decided_at", HOUR)
    return Kpi("approval_time", "Approval time", value, "hours", denominator=count)


def _root_causes_found(window: Window) -> dict[int, float]:
    """Problem id -> when its root cause was first recorded (a history entry setting a
    non-empty ``root_cause``), for problems whose first one falls in the period."""
    entries = (
        HistoryEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Problem),
            changes__has_key="root_cause",
            at__lt=window.until,
        )
        .exclude(changes__root_cause__new="")
        .exclude(changes__root_cause__new=None)
        .values("object_id")
        .annotate(first=Min("at"))
        .filter(first__gte=window.since)
        .order_by()
    )
    return {int(row["object_id"]): row["first"].timestamp() for row in entries}


def root_cause_time_kpi(window: Window) -> Kpi:
    """Mean days from a problem's creation to the first recording of its root cause."""
    found = _root_causes_found(window)
    spans: list[float] = []
    for chunk in chunks(list(found)):
        problems = Problem.objects.filter(pk__in=chunk)
        if window.service_id is not None:
            problems = problems.filter(service_id=window.service_id)
        for pk, created in problems.values_list("pk", "created_at"):
            spans.append(max(found[pk] - created.timestamp(), 0.0))
    value = round(sum(spans) / len(spans) / DAY, 2) if spans else None
    return Kpi(
        "problem_time_to_root_cause",
        "Problem time to root cause",
        value,
        "days",
        denominator=len(spans),
        drill_url=drill("problems:list"),
    )


def known_error_reuse_kpi(window: Window) -> Kpi:
    """Incidents opened in the period that were linked to a problem that was already a known
    error when linked; of all incidents opened in the period (canceled ones left out, as in the
    incident KPIs)."""
    # Read from the incident facts (the incident KPIs' population, canceled ones left out):
    # the period's count from the monthly cubes, then the reused ones among the few incidents
    # linked to a known error. Joining a long period's incidents to the links costs seconds at
    # a million incidents.
    filters = Filters(window.start_day, window.end_day, service=window.service_id)
    total = incident_kpis.totals(filters, ("opened",)).opened
    linked = list(
        ProblemIncident.objects.filter(
            problem__known_error_at__isnull=False, problem__known_error_at__lte=F("linked_at")
        ).values_list("incident_id", flat=True)
    )
    reused = sum(
        incident_kpis.facts(filters).filter(incident_id__in=linked[at : at + 5000]).count()
        for at in range(0, len(linked), 5000)
    )
    counts = {"total": total, "reused": reused}
    return Kpi(
        "known_error_reuse",
        "Known-error reuse",
        percent(counts["reused"], counts["total"]),
        "%",
        numerator=counts["reused"],
        denominator=counts["total"],
        drill_url=drill("problems:list", query="known_error=yes"),
    )


def deflection_kpi(window: Window) -> Kpi:
    """Deflections in the period (``knowledge.deflection``); None when no article was suggested
    or read in the portal in the period, as there was nothing to deflect with. Of one service:
    the deflected drafts in which an article about the service was opened or solved it."""
    uses = ArticleUse.objects.filter(**window.during("at")).exclude(draft="")
    uses = uses.filter(kind__in=(UseKind.SUGGESTED, *deflection.READ_KINDS))
    if window.service_id is not None:
        uses = uses.filter(article__services=window.service_id)
    if not uses.exists():
        value = None
    elif window.service_id is None:
        value = deflection.count(window.since, window.until, now=window.now)
    else:
        read = uses.filter(kind__in=deflection.READ_KINDS).values("draft")
        drafts = deflection.deflected_drafts(window.since, window.until, window.now)
        value = drafts.filter(draft__in=read).count()
    return Kpi(
        "knowledge_deflections",
        "Knowledge deflections",
        None if value is None else float(value),
        "count",
        numerator=value,
    )


def access_review_kpi(window: Window) -> Kpi:
    """Decided items / all items of the review campaigns due in the period."""
    items = ReviewItem.objects.filter(
        review__due_on__gte=window.start_day, review__due_on__lt=window.end_day
    )
    if window.service_id is not None:
        items = items.filter(entitlement__role__system_id__in=window.items)
    counts = items.aggregate(
        total=Count("pk"), decided=Count("pk", filter=~Q(decision=ReviewDecision.PENDING))
    )
    return Kpi(
        "access_review_completion",
        "Access review completion",
        percent(counts["decided"], counts["total"]),
        "%",
        numerator=counts["decided"],
        denominator=counts["total"],
        drill_url=drill("access:reviews"),
    )


def satisfaction_kpis(window: Window) -> list[Kpi]:
    """The mean score (1-5) of the surveys answered in the period, and the share satisfied."""
    answered = Survey.objects.filter(score__isnull=False, **window.during("answered_at"))
    if window.service_id is not None:
        answered = answered.filter(incident__service_id=window.service_id)
    figures = answered.aggregate(
        n=Count("pk"), mean=Avg("score"), happy=Count("pk", filter=Q(score__gte=SATISFIED))
    )
    mean = round(figures["mean"], 2) if figures["n"] else None
    return [
        Kpi("satisfaction_score", "Satisfaction score", mean, "score", denominator=figures["n"]),
        Kpi(
            "satisfied_share",
            "Satisfied (score 4 or 5)",
            percent(figures["happy"], figures["n"]),
            "%",
            numerator=figures["happy"],
            denominator=figures["n"],
        ),
    ]
