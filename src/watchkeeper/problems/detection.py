"""Recurring-incident detection: the periodic analysis that proposes problem candidates.

``find`` reads the incidents opened in the window (one query), groups them by configuration
item, by service, by category (with subcategory) and by similar short descriptions, and makes
each group of at least ``threshold`` incidents that is not already one problem's a proposed
``ProblemCandidate`` with its evidence. The text similarity is computed here, from the words of
the short descriptions: nothing leaves the machine, and the same incidents always give the same
candidates. ``accept`` and ``dismiss`` are the problem manager's decisions on a candidate (at the
end); see docs/problem-detection.md.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.problems.choices import CandidateBasis, CandidateState
from watchkeeper.problems.models import ProblemCandidate

#: A word in more than this share of the latest incidents says nothing about any of them
#: ("imported from ServiceNow"). Judged from the window's incidents, or from the latest
#: ``REFERENCE`` incidents when the window holds fewer, and only from ``BOILERPLATE_FROM`` on.
BOILERPLATE_SHARE, BOILERPLATE_FROM, REFERENCE = 0.5, 20, 1000
#: The evidence lists at most this many incident numbers (the candidate links all of them).
EVIDENCE_NUMBERS = 200
COMMON_WORDS = 5
WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_WORDS = (
    "a about after again all also am an and any are as at be been but by can cannot could did "
    "do does for from had has have he her his how i if in into is it its me my no not of on or "
    "our please she should so some than that the their them then there these they this to too "
    "up us was we were what when where which while who why will with would you your"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
Basis = CandidateBasis


def words(text: str) -> frozenset[str]:
    """The words of ``text`` that can carry meaning: lower case, without stop words and single
    letters. A number is read with the word before it ("floor 3", "error 500"), as a number
    alone says nothing: "floor 3" and "printer 3" have nothing in common."""
    found: set[str] = set()
    previous = ""
    for word in WORD.findall(text.lower()):
        if word.isdigit():
            found.add(f"{previous} {word}" if previous else word)
        elif len(word) > 1 and word not in STOP_WORDS:
            found.add(word)
        previous = word if not word.isdigit() and word not in STOP_WORDS else ""
    return frozenset(found)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The cosine of the two word sets (shared words / sqrt(|a| x |b|)): 1 for the same words,
    0 for none in common."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass(frozen=True)
class Options:
    window_days: int
    threshold: int
    similarity: float


def options(window_days: int | None = None, threshold: int | None = None) -> Options:
    chosen = Options(
        window_days or settings.PROBLEM_DETECTION_WINDOW_DAYS,
        threshold or settings.PROBLEM_DETECTION_THRESHOLD,
        settings.PROBLEM_DETECTION_SIMILARITY / 100,
    )
    if chosen.threshold < 2 or chosen.window_days < 1 or not 0 < chosen.similarity <= 1:
        raise ImproperlyConfigured(
            "Problem detection needs a threshold of 2 or more incidents, a window of 1 day or "
            f"more and a similarity of 1-100 percent, not {chosen}."
        )
    return chosen


@dataclass(frozen=True)
class Seen:
    """An incident as the analysis reads it."""

    pk: int
    number: str
    opened: dt.datetime
    text: frozenset[str]
    keys: dict[str, tuple[str, str]]  # basis -> (key, label)
    problem: int | None


@dataclass
class Group:
    basis: str
    key: str
    label: str
    members: list[Seen] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


FIELDS = (
    "pk", "number", "created_at", "short_description", "configuration_item_id",
    "configuration_item__name", "service_id", "service__name", "category_id", "category__name",
    "subcategory_id", "subcategory__name", "problem_link__problem_id",
)  # fmt: skip


def read_window(start: dt.datetime, end: dt.datetime) -> list[Seen]:
    """The incidents opened from ``start`` to ``end``, oldest first, in one query. Canceled
    incidents (reported in error) and children of a parent incident (one outage, many callers)
    are not recurrences and are left out."""
    rows = (
        Incident.objects.filter(created_at__gte=start, created_at__lte=end, parent__isnull=True)
        .exclude(state=IncidentState.CANCELED)
        .order_by("created_at", "pk")
        .values_list(*FIELDS)
    )
    texts = [(row, words(row[3])) for row in rows]
    boring = _boilerplate([text for _, text in texts], end)
    return [_seen(row, text - boring) for row, text in texts]


def _boilerplate(texts: list[frozenset[str]], end: dt.datetime) -> frozenset[str]:
    if len(texts) < REFERENCE:  # a quiet week: judge by the latest incidents (one query)
        latest = Incident.objects.filter(created_at__lte=end).order_by("-created_at", "-pk")
        texts = [
            words(text) for text in latest.values_list("short_description", flat=True)[:REFERENCE]
        ]
    if len(texts) < BOILERPLATE_FROM:
        return frozenset()
    counts = Counter(word for text in texts for word in text)
    return frozenset(word for word, n in counts.items() if n > BOILERPLATE_SHARE * len(texts))


def _seen(row: tuple[Any, ...], text: frozenset[str]) -> Seen:
    pk, number, opened, _, ci, ci_name, service, service_name = row[:8]
    cat, cat_name, sub, sub_name, problem = row[8:]
    keys: dict[str, tuple[str, str]] = {}
    if ci is not None:
        keys[Basis.CONFIGURATION_ITEM] = (str(ci), ci_name)
    if service is not None:
        keys[Basis.SERVICE] = (str(service), service_name)
    if cat is not None:
        keys[Basis.CATEGORY] = (
            (f"{cat}/{sub}", f"{cat_name} / {sub_name}")
            if sub is not None
            else (str(cat), cat_name)
        )
    return Seen(pk, number, opened, text, keys, problem)


def structured_groups(seen: Iterable[Seen]) -> list[Group]:
    """The incidents by configuration item, by service and by category (+ subcategory)."""
    groups: dict[tuple[str, str], Group] = {}
    for incident in seen:
        for basis, (key, label) in incident.keys.items():
            group = groups.setdefault((basis, key), Group(basis, key, label))
            group.members.append(incident)
    return list(groups.values())


def text_groups(seen: Iterable[Seen], minimum: float) -> list[Group]:
    """Incidents with similar short descriptions, in one pass, oldest first: each joins the
    group whose first incident it is most similar to (at least ``minimum``), or starts one.
    Only groups sharing a word are compared (an index from word to group)."""
    firsts: list[tuple[frozenset[str], list[Seen]]] = []
    by_word: dict[str, list[int]] = defaultdict(list)
    for incident in seen:
        if not incident.text:
            continue
        best, best_score = -1, minimum
        for index in sorted({i for word in incident.text for i in by_word.get(word, ())}):
            score = similarity(incident.text, firsts[index][0])
            if score > best_score or (score == best_score and best < 0):
                best, best_score = index, score
        if best >= 0:
            firsts[best][1].append(incident)
            continue
        for word in incident.text:
            by_word[word].append(len(firsts))
        firsts.append((incident.text, [incident]))
    groups = []
    for _, members in firsts:
        common = common_words(members)
        key = " ".join(sorted(common[:3]))
        groups.append(Group(Basis.TEXT, key, ", ".join(common[:3]), members, common))
    return groups


def common_words(members: list[Seen]) -> list[str]:
    """The words at least half the incidents share, the most shared first."""
    counts = Counter(word for incident in members for word in incident.text)
    shared = [(-n, word) for word, n in counts.items() if n * 2 >= len(members)]
    return [word for _, word in sorted(shared)[:COMMON_WORDS]]


def _within_one(group: Group) -> bool:
    """A text group whose incidents all share one item, service or category adds nothing."""
    for basis in (Basis.CONFIGURATION_ITEM, Basis.SERVICE, Basis.CATEGORY):
        keys = {incident.keys.get(basis) for incident in group.members}
        if len(keys) == 1 and None not in keys:
            return True
    return False


def recurring(seen: list[Seen], chosen: Options) -> list[Group]:
    """The groups that make candidates: big enough, and not already all one problem's."""
    groups = structured_groups(seen)
    for group in groups:
        group.words = common_words(group.members)
    texts = [g for g in text_groups(seen, chosen.similarity) if g.key and not _within_one(g)]
    return [
        group
        for group in [*groups, *texts]
        if len(group.members) >= chosen.threshold and not _one_problem(group)
    ]


def _one_problem(group: Group) -> bool:
    problems = {incident.problem for incident in group.members}
    return len(problems) == 1 and None not in problems


def find(
    now: dt.datetime | None = None,
    *,
    window_days: int | None = None,
    threshold: int | None = None,
) -> list[ProblemCandidate]:
    """Run the analysis over the window ending ``now``; the candidates proposed or updated."""
    chosen = options(window_days, threshold)
    end = now or timezone.now()
    start = end - dt.timedelta(days=chosen.window_days)
    groups = recurring(read_window(start, end), chosen)
    window = {"days": chosen.window_days, "from": start.isoformat(), "to": end.isoformat()}
    return list(_propose(groups, window, chosen, end))


def _propose(
    groups: list[Group], window: dict[str, Any], chosen: Options, now: dt.datetime
) -> Iterator[ProblemCandidate]:
    proposed = {
        (c.basis, c.key): c for c in ProblemCandidate.objects.filter(state=CandidateState.PROPOSED)
    }
    decided = _last_decisions({group.key for group in groups})
    for group in groups:
        evidence = _evidence(group, window, chosen)
        current = proposed.get((group.basis, group.key))
        if current is not None:
            refreshed = _refresh(current, group, evidence, now)
            if refreshed is not None:
                yield refreshed
            continue
        previous = decided.get((group.basis, group.key))
        if previous is not None:
            assert previous.decided_at is not None
            new = [i.number for i in group.members if i.opened > previous.decided_at]
            if not new:
                continue  # decided on already, and nothing happened since
            evidence["previous"] = _previous(previous, new)
        created = _create(group, evidence, now)
        if created is not None:
            yield created


def _last_decisions(keys: set[str]) -> dict[tuple[str, str], ProblemCandidate]:
    decided = ProblemCandidate.objects.filter(
        state__in=(CandidateState.ACCEPTED, CandidateState.DISMISSED), key__in=keys
    ).select_related("problem")
    return {(c.basis, c.key): c for c in decided.order_by("decided_at", "pk")}


def _previous(candidate: ProblemCandidate, new: list[str]) -> dict[str, Any]:
    return {
        "candidate": candidate.pk,
        "state": candidate.state,
        "decided_at": candidate.decided_at.isoformat() if candidate.decided_at else None,
        "reason": candidate.reason,
        "problem": candidate.problem.number if candidate.problem else None,
        "new_incidents": new[:EVIDENCE_NUMBERS],
    }


def _evidence(group: Group, window: dict[str, Any], chosen: Options) -> dict[str, Any]:
    members = group.members
    evidence: dict[str, Any] = {
        "basis": group.basis,
        "key": group.key,
        "label": group.label,
        "window": window,
        "threshold": chosen.threshold,
        "count": len(members),
        "incidents": [incident.number for incident in members[:EVIDENCE_NUMBERS]],
        "common_words": group.words,
        "first_opened": members[0].opened.isoformat(),
        "last_opened": members[-1].opened.isoformat(),
    }
    if group.basis == Basis.TEXT:
        evidence["min_similarity"] = chosen.similarity
    return evidence


def title_of(group: Group, days: int) -> str:
    where = {
        Basis.CONFIGURATION_ITEM: f"on {group.label}",
        Basis.SERVICE: f"affecting {group.label}",
        Basis.CATEGORY: f"in {group.label}",
        Basis.TEXT: f"about “{group.label}”",
    }[Basis(group.basis)]
    return f"{len(group.members)} incidents {where} within {days} days"[:200]


def _create(group: Group, evidence: dict[str, Any], now: dt.datetime) -> ProblemCandidate | None:
    candidate = ProblemCandidate(
        basis=group.basis,
        key=group.key[:200],
        title=title_of(group, evidence["window"]["days"]),
        evidence=evidence,
        last_seen_at=now,
    )
    try:
        with transaction.atomic():
            candidate.save()
            candidate.incidents.set([incident.pk for incident in group.members])
    except IntegrityError:
        return None  # another run proposed it a moment ago: the next run refreshes that one
    return candidate


def _refresh(
    candidate: ProblemCandidate, group: Group, evidence: dict[str, Any], now: dt.datetime
) -> ProblemCandidate | None:
    """New incidents are added (none taken away), the evidence and title describe this run."""
    with transaction.atomic():
        still = ProblemCandidate.objects.select_for_update().filter(state=CandidateState.PROPOSED)
        current = still.filter(pk=candidate.pk).first()
        if current is None:
            return None  # decided on while this run was reading
        if "previous" in current.evidence:
            evidence["previous"] = current.evidence["previous"]
        current.evidence = evidence
        current.title = title_of(group, evidence["window"]["days"])
        current.last_seen_at = now
        current.save(update_fields=["evidence", "title", "last_seen_at"])
        current.incidents.add(*[incident.pk for incident in group.members])
    return current
