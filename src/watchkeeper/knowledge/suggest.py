"""Suggestions: the articles that may solve what someone is typing, and the known errors that
match an incident.

``core.search`` matches every word of a query, which is right for a search box and too strict
for a sentence ("cannot connect to the VPN from home"): an article about the VPN that never says
"home" would be missed. So the meaningful words are looked up one by one in the index (a query
each, at most ``MAX_WORDS``), and each article is scored by the words it matches: rare words
count more than common ones, a word in the title or the keywords more than one in the body, and
an article matching all words comes first. Ties go by number, so the order never wanders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.html import strip_tags
from django.utils.text import Truncator

from watchkeeper.core.markup import render_markdown
from watchkeeper.core.search import WORD, matching
from watchkeeper.knowledge.models import Article
from watchkeeper.knowledge.reading import published_for
from watchkeeper.problems.choices import OPEN_PROBLEM_STATES
from watchkeeper.problems.models import Problem

MAX_WORDS = 8
#: Articles scoring below this share of the best one are noise (one common word in the body).
KEEP_SHARE = 0.2
#: The articles matching most words that are scored in full (their titles and keywords read).
CANDIDATES = 50
TITLE_WEIGHT = 2.0
KEYWORD_WEIGHT = 1.0
#: Known errors read for matching an incident: there are tens, not thousands, in practice.
KNOWN_ERRORS_READ = 500
MIN_KNOWN_ERROR_SCORE = 2.0
_STOP = """a about after again all also am an and any are as at be been before being but by can
cannot cant could did does doesnt doing dont for from get gets getting got had has have
having he her here him his how i if im in into is isnt it its ive just me more my no not
now of on or our out over please same she so some still than that the their them then
there these they this those to too under up us very was wasnt we were what when where
which while who why will with wont would you your anymore anything since every keeps
problem problems issue issues help hello thanks thank work works working"""
STOP_WORDS = frozenset(_STOP.split())
SUFFIXES = ("ings", "ing", "ions", "ion", "ed", "es", "s")


@dataclass
class Suggestion:
    """An article that may help, with why (the words it matched) and a plain-text excerpt."""

    pk: int
    number: str
    title: str
    excerpt: str
    score: float
    matched: list[str] = field(default_factory=list)


@dataclass
class KnownErrorMatch:
    problem: Problem
    score: float
    reasons: list[str]


def meaningful_words(text: str) -> list[str]:
    """The words worth looking up, in order, each once: no stop words, nothing shorter than
    three letters unless written as an acronym ("IP", "PC")."""
    words: list[str] = []
    for raw in WORD.findall(text):
        word = raw.lower()
        short = len(word) < 3 and not (len(word) == 2 and raw.isupper() and raw.isalpha())
        if short or word in STOP_WORDS or word.isdigit() or word in words:
            continue
        words.append(word)
    return words[:MAX_WORDS]


def root(word: str) -> str:
    """A crude stem ("connecting" → "connect"), to tell whether a title holds a query word."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def mentions(text: str, word: str) -> bool:
    stem = root(word)
    return any(root(candidate).startswith(stem) for candidate in WORD.findall(text.lower()))


def readable_articles(user: Any) -> QuerySet[Article]:
    """The published articles ``user`` may read: requesters only those for everyone."""
    if user is None or not user.is_authenticated:
        return Article.objects.none()
    return published_for(user)


def _hits(articles: QuerySet[Article], words: list[str]) -> dict[int, list[str]]:
    """Article id → the words it matches, one index lookup per word."""
    hits: dict[int, list[str]] = {}
    for word in words:
        # ``matches=1`` takes the lookup by id: a word matches few articles of a knowledge base.
        for pk in matching(articles.order_by(), word, matches=1).values_list("pk", flat=True):
            hits.setdefault(pk, []).append(word)
    return hits


def _excerpt(body: str) -> str:
    return Truncator(" ".join(strip_tags(render_markdown(body)).split())).chars(180)


def articles_for(
    text: str, user: Any, limit: int = 5, *, exclude: set[int] | None = None
) -> list[Suggestion]:
    """The published articles ``user`` may read that best match ``text``, best first."""
    words = meaningful_words(text)
    articles = readable_articles(user)
    if not words or limit < 1:
        return []
    hits = _hits(articles, words)
    for pk in exclude or ():
        hits.pop(pk, None)
    if not hits:
        return []
    frequency = {word: sum(word in found for found in hits.values()) for word in words}
    rarity = {
        word: 1 + math.log(1 + len(hits) / count) for word, count in frequency.items() if count
    }
    best = sorted(hits, key=lambda pk: (-len(hits[pk]), pk))[:CANDIDATES]
    rows = articles.filter(pk__in=best).values_list(
        "pk", "number", "title", "keywords", "published__body"
    )
    scored = []
    for pk, number, title, keywords, body in rows:
        score = 0.0
        for word in hits[pk]:
            weight = (
                1 + TITLE_WEIGHT * mentions(title, word) + KEYWORD_WEIGHT * mentions(keywords, word)
            )
            score += weight * rarity[word]
        if len(hits[pk]) == len(words):
            score *= 1.5  # every word: what the strict search would have found
        scored.append(Suggestion(pk, number, title, body, round(score, 3), hits[pk]))
    if not scored:  # unpublished since the lookup
        return []
    top = max(suggestion.score for suggestion in scored)
    kept = [s for s in scored if s.score >= KEEP_SHARE * top]
    kept.sort(key=lambda s: (-s.score, s.number))
    for suggestion in kept[:limit]:
        suggestion.excerpt = _excerpt(suggestion.excerpt)
    return kept[:limit]


def _known_error_candidates() -> QuerySet[Problem]:
    return (
        Problem.objects.filter(known_error=True, state__in=OPEN_PROBLEM_STATES)
        .select_related("article", "service", "category")
        .prefetch_related("configuration_items")
        .order_by("-known_error_at", "-pk")[:KNOWN_ERRORS_READ]
    )


def _score_known_error(problem: Problem, incident: Any, words: list[str]) -> KnownErrorMatch:
    ci_ids = {ci.pk for ci in problem.configuration_items.all()}
    service, category = incident.service_id, incident.category_id
    same = {
        "same configuration item": (3.0, incident.configuration_item_id in ci_ids),
        "same service": (2.0, bool(service) and service == problem.service_id),
        "same category": (1.0, bool(category) and category == problem.category_id),
    }
    reasons = [reason for reason, (_, matched) in same.items() if matched]
    score = sum(points for points, matched in same.values() if matched)
    text = f"{problem.short_description} {problem.description} {problem.workaround}"
    shared = [word for word in words if mentions(text, word)]
    score += sum(2.0 if mentions(problem.short_description, w) else 1.0 for w in shared)
    if shared:
        reasons.append("similar text: " + ", ".join(shared))
    return KnownErrorMatch(problem, score, reasons)


def known_errors_for(incident: Any, limit: int = 5) -> list[KnownErrorMatch]:
    """Open known errors matching ``incident``: the same configuration item (3 points),
    service (2) or category (1), and each word they share (2 in the title, 1 elsewhere).
    Only staff see known errors: the caller checks that."""
    words = meaningful_words(f"{incident.short_description} {incident.description}")
    matches = [_score_known_error(p, incident, words) for p in _known_error_candidates()]
    kept = [match for match in matches if match.score >= MIN_KNOWN_ERROR_SCORE]
    kept.sort(key=lambda match: (-match.score, match.problem.number))
    return kept[:limit]
