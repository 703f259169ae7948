"""One full-text search service for every app: ``index(obj, text)`` and ``search(queryset, text)``.

On SQLite the text lives in an FTS5 table (porter stemming); on PostgreSQL in a stored ``tsvector``
column with a GIN index (computing it per query is 25-35x slower). Both match every word of the
query, each as a prefix, and rank the best matches first. The query's text only ever supplies
words (``\\w+``): FTS5 and tsquery operators in it are ignored, never obeyed.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.expressions import RawSQL

from watchkeeper.core.models import SearchEntry

M = TypeVar("M", bound=models.Model)
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def index(obj: models.Model, text: str) -> None:
    """Store (or replace) the searchable text of ``obj``; the action that changed it calls this.

    One upsert statement (INSERT … ON CONFLICT DO UPDATE) on both databases.
    """
    entry = SearchEntry(
        content_type=ContentType.objects.get_for_model(obj._meta.model),
        object_id=str(obj.pk),
        text=text,
    )
    SearchEntry.objects.bulk_create(
        [entry],
        update_conflicts=True,
        unique_fields=["content_type", "object_id"],
        update_fields=["text"],
    )


def unindex(obj: models.Model) -> None:
    SearchEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=str(obj.pk)
    ).delete()


def query_words(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


RANKED_MATCHES = 1000


def _match_condition(words: list[str]) -> tuple[str, str]:
    """A WHERE condition on ``core_searchentry`` matching every word as a prefix, and its param."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        return "vector @@ to_tsquery('english', %s)", tsquery
    fts_query = " ".join(f'"{word}"*' for word in words)
    return (
        "id IN (SELECT rowid FROM core_searchentry_fts WHERE core_searchentry_fts MATCH %s)",
        fts_query,
    )


def _ranked_ids(content_type_id: int, words: list[str]) -> list[str]:
    """The ids of the best ``RANKED_MATCHES`` matches, best first."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        sql = (
            "SELECT object_id FROM core_searchentry WHERE content_type_id = %s "
            "AND vector @@ to_tsquery('english', %s) "
            "ORDER BY ts_rank(vector, to_tsquery('english', %s)) DESC, id LIMIT %s"
        )
        params: list[Any] = [content_type_id, tsquery, tsquery, RANKED_MATCHES]
    else:
        sql = (
            "SELECT e.object_id FROM core_searchentry_fts f "
            "JOIN core_searchentry e ON e.id = f.rowid "
            "WHERE core_searchentry_fts MATCH %s AND e.content_type_id = %s "
            "ORDER BY f.rank, e.id LIMIT %s"
        )
        params = [" ".join(f'"{word}"*' for word in words), content_type_id, RANKED_MATCHES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _all_matches(model: type[models.Model], content_type_id: int, words: list[str]) -> RawSQL:
    """A subquery of the keys of every matching record of ``model``, typed like its primary key."""
    condition, param = _match_condition(words)
    pk_field = model._meta.pk
    integer_key = isinstance(pk_field, models.IntegerField | models.AutoField)
    key = "CAST(object_id AS BIGINT)" if integer_key else "object_id"
    sql = f"SELECT {key} FROM core_searchentry WHERE content_type_id = %s AND {condition}"  # noqa: S608
    return RawSQL(sql, [content_type_id, param])  # noqa: S611 (constant SQL, values as params)


def search(queryset: models.QuerySet[M], text: str) -> models.QuerySet[M]:
    """``queryset`` narrowed to the records whose text matches ``text``, best matches first.

    An empty query returns the queryset unchanged. Every match is returned; the best
    ``RANKED_MATCHES`` come first in rank order, the rest follow in the queryset's own order.
    """
    words = query_words(text)
    if not words:
        return queryset
    model = queryset.model
    content_type = ContentType.objects.get_for_model(model)
    ids = _ranked_ids(content_type.pk, words)
    if not ids:
        return queryset.none()
    pk_field = model._meta.pk
    assert pk_field is not None
    keys = [pk_field.to_python(value) for value in ids]
    ranking = models.Case(
        *[models.When(pk=key, then=models.Value(position)) for position, key in enumerate(keys)],
        default=models.Value(len(keys)),
        output_field=models.IntegerField(),
    )
    tiebreak = list(queryset.query.order_by or model._meta.ordering or ["pk"])
    matching = queryset.filter(pk__in=_all_matches(model, content_type.pk, words))
    ranked = matching.annotate(search_rank=ranking).order_by("search_rank", *tiebreak)
    return cast("models.QuerySet[M]", ranked)
