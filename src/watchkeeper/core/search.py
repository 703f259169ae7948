"""One full-text search service for every app: ``index(obj, text)`` and ``search(queryset, text)``.

On SQLite the text lives in an FTS5 table (porter stemming); on PostgreSQL in a stored ``tsvector``
column with a GIN index (computing it per query is 25-35x slower). Both match every word of the
query, each as a prefix, and rank the best matches first.
"""

from __future__ import annotations

import re
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from watchkeeper.core.models import SearchEntry

M = TypeVar("M", bound=models.Model)
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def index(obj: models.Model, text: str) -> None:
    """Store (or replace) the searchable text of ``obj``; call it from the action that changed it."""
    SearchEntry.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        defaults={"text": text},
    )


def unindex(obj: models.Model) -> None:
    SearchEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).delete()


def query_words(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


def _matching_ids(content_type_id: int, words: list[str]) -> list[str]:
    if connection.vendor == "postgresql":
        sql = (
            "SELECT object_id FROM core_searchentry WHERE content_type_id = %s "
            "AND vector @@ to_tsquery('english', %s) "
            "ORDER BY ts_rank(vector, to_tsquery('english', %s)) DESC LIMIT 1000"
        )
        tsquery = " & ".join(f"{word}:*" for word in words)
        params: list[object] = [content_type_id, tsquery, tsquery]
    else:
        sql = (
            "SELECT e.object_id FROM core_searchentry_fts f "
            "JOIN core_searchentry e ON e.id = f.rowid "
            "WHERE core_searchentry_fts MATCH %s AND e.content_type_id = %s "
            "ORDER BY f.rank LIMIT 1000"
        )
        params = [" ".join(f'"{word}"*' for word in words), content_type_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def search(queryset: models.QuerySet[M], text: str) -> models.QuerySet[M]:
    """``queryset`` narrowed to the records whose text matches ``text``, best matches first.

    An empty query returns the queryset unchanged; the ranking holds for the first 1,000 matches.
    """
    words = query_words(text)
    if not words:
        return queryset
    content_type = ContentType.objects.get_for_model(queryset.model)
    ids = _matching_ids(content_type.pk, words)
    pk_field = queryset.model._meta.pk
    assert pk_field is not None
    keys = [pk_field.to_python(value) for value in ids]
    ranking = models.Case(
        *[models.When(pk=key, then=models.Value(position)) for position, key in enumerate(keys)],
        default=models.Value(len(keys)),
        output_field=models.IntegerField(),
    )
    if not keys:
        return queryset.none()
    return queryset.filter(pk__in=keys).annotate(search_rank=ranking).order_by("search_rank")
