"""What people did with suggested articles, and the deflections counted from it.

Each visit to the portal's report form gets a *draft* token. Everything that happens to the
suggestions while that form is open is recorded against it as an ``ArticleUse``: an article
``suggested`` (once per draft), ``opened`` from a suggestion, or said to have ``solved`` the
problem. When the incident is submitted, the draft's uses are marked ``followed_by_incident``.

A **deflection** is a draft in which an article was opened or said to solve the problem and from
which no incident was submitted: a ``solved`` counts at once; a draft with articles only opened
counts once an hour has passed since the last one was opened without an incident following
(until then the person may still be reading and come back to report). A draft counts in the
period of its first opened or solved article; per article, a deflection counts for each article
opened or said to solve it in the draft.

Agents attaching an article or a known error to an incident's resolution is recorded here too
(an ``attached`` use, with a work note on the incident).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.models import Incident
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import Article, ArticleUse
from watchkeeper.knowledge.permissions import KnowledgePermission
from watchkeeper.problems.models import Problem

#: How long a draft with only opened articles waits before it counts as a deflection.
GRACE = dt.timedelta(hours=1)
DRAFT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
READ_KINDS = (UseKind.OPENED, UseKind.SOLVED)


def new_draft() -> str:
    return secrets.token_urlsafe(16)


def valid_draft(raw: Any) -> str:
    """The draft token sent back by a form or link, or "" when it is not one."""
    return raw if isinstance(raw, str) and DRAFT.match(raw) else ""


def _submitted(draft: str) -> ArticleUse | None:
    return ArticleUse.objects.filter(draft=draft, followed_by_incident=True).first()


def record_suggested(draft: str, user: Any, article_ids: list[int]) -> None:
    """Each article suggested in the draft, recorded once however often it is shown again."""
    if not draft or not article_ids:
        return
    with transaction.atomic():
        seen = set(
            ArticleUse.objects.filter(
                draft=draft, kind=UseKind.SUGGESTED, article_id__in=article_ids
            ).values_list("article_id", flat=True)
        )
        ArticleUse.objects.bulk_create(
            (
                ArticleUse(article_id=pk, user=user, kind=UseKind.SUGGESTED, draft=draft)
                for pk in dict.fromkeys(article_ids)
                if pk not in seen
            ),
            ignore_conflicts=True,  # the same suggestion shown twice at once: recorded once
        )


def record_use(draft: str, user: Any, article: Article, kind: str) -> ArticleUse:
    """An article opened from a suggestion or said to solve the problem. A use recorded after
    the draft's incident was submitted (another tab) belongs to that incident too."""
    if kind not in READ_KINDS:
        raise ValueError(f"Not a reader's use: {kind!r}")
    with transaction.atomic():
        submitted = _submitted(draft) if draft else None
        return ArticleUse.objects.create(
            article=article,
            user=user,
            kind=kind,
            draft=draft,
            followed_by_incident=submitted is not None,
            incident_id=submitted.incident_id if submitted else None,
        )


def mark_submitted(draft: str, incident: Incident, user: Any) -> int:
    """The draft led to ``incident``: its uses (by that user only) are no deflection."""
    if not draft:
        return 0
    with transaction.atomic():
        uses = ArticleUse.objects.filter(draft=draft, user=user, incident__isnull=True)
        return uses.update(followed_by_incident=True, incident=incident)


@dataclass(frozen=True)
class ArticleDeflections:
    number: str
    title: str
    deflections: int


@dataclass(frozen=True)
class Deflections:
    since: dt.datetime
    until: dt.datetime
    total: int
    articles: list[ArticleDeflections]


def deflected_drafts(since: dt.datetime, until: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    """The drafts (``values("draft")``) deflected in [since, until), as one grouped query."""
    in_period = ArticleUse.objects.filter(kind__in=READ_KINDS, at__gte=since, at__lt=until)
    return (
        ArticleUse.objects.filter(kind__in=READ_KINDS)
        .exclude(draft="")
        .filter(draft__in=in_period.exclude(draft="").values("draft"))
        .values("draft")
        .annotate(
            first=Min("at"),
            last=Max("at"),
            solved=Count("pk", filter=Q(kind=UseKind.SOLVED)),
            followed=Count("pk", filter=Q(followed_by_incident=True)),
        )
        .filter(first__gte=since, first__lt=until, followed=0)
        .filter(Q(solved__gt=0) | Q(last__lte=now - GRACE))
        .order_by()
    )


def count(since: dt.datetime, until: dt.datetime, *, now: dt.datetime | None = None) -> int:
    """The number of deflections in [since, until) (see the module's definition)."""
    return deflected_drafts(since, until, now or timezone.now()).count()


def report(
    since: dt.datetime, until: dt.datetime, *, now: dt.datetime | None = None
) -> Deflections:
    """The deflections in [since, until): the total, and per article (most first)."""
    drafts = deflected_drafts(since, until, now or timezone.now())
    total = drafts.count()
    draft_keys = list(drafts.values_list("draft", flat=True))
    per_article = (
        ArticleUse.objects.filter(kind__in=READ_KINDS, draft__in=draft_keys)
        .values("article__number", "article__title")
        .annotate(deflections=Count("draft", distinct=True))
        .order_by("-deflections", "article__number")
    )
    articles = [
        ArticleDeflections(row["article__number"], row["article__title"], row["deflections"])
        for row in per_article
    ]
    return Deflections(since, until, total, articles)


def attach_to_incident(
    incident: Incident,
    *,
    acting_user: Any,
    article: Article | None = None,
    problem: Problem | None = None,
) -> ArticleUse | None:
    """Attach a suggested article or known error to the incident's resolution: a work note names
    it (and, for a known error, its workaround) for the resolution to cite, and the article's
    ``attached`` use is recorded. Staff only."""
    if acting_user is None or not acting_user.has_perm(KnowledgePermission.READ_INTERNAL):
        raise PermissionDenied("Only the service desk attaches knowledge to incidents.")
    if (article is None) == (problem is None):
        raise ValidationError({"article": "Choose one article or one known error to attach."})
    if problem is not None and not problem.known_error:
        raise ValidationError({"problem": f"{problem.number} is not a known error."})
    target = article if article is not None else problem.article  # type: ignore[union-attr]
    if (
        target
        and ArticleUse.objects.filter(
            article=target, incident=incident, kind=UseKind.ATTACHED
        ).exists()
    ):
        raise ValidationError({"article": f"{target.number} is already attached."})
    with transaction.atomic():
        incident_actions.add_work_note(
            incident, body=_note(article, problem), acting_user=acting_user
        )
        if target is None:
            return None
        return ArticleUse.objects.create(
            article=target, user=acting_user, kind=UseKind.ATTACHED, incident=incident
        )


def resolution_notes(incident: Incident) -> str:
    """What the resolve form starts with: the articles attached to the incident, cited."""
    attached = ArticleUse.objects.filter(incident=incident, kind=UseKind.ATTACHED)
    articles = attached.select_related("article").order_by("at", "pk")
    lines = [f"Solved with {use.article.number}: {use.article.title}" for use in articles]
    return "\n".join(dict.fromkeys(lines))


def _note(article: Article | None, problem: Problem | None) -> str:
    if article is not None:
        return (
            f"Knowledge article {article.number} “{article.title}” attached to the resolution: "
            f"[{article.number}]({reverse('knowledge:desk_article', args=[article.number])})"
        )
    assert problem is not None
    lines = [
        f"Known error {problem.number} “{problem.short_description}” attached to the resolution."
    ]
    if problem.article_id:
        lines.append(f"Article: {problem.article.number}")  # type: ignore[union-attr]
    lines.append("")
    lines.append("Workaround:")
    lines.append("")
    lines.append(problem.workaround or "(none recorded)")
    return "\n".join(lines)
