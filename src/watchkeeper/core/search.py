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


def _match(words: list[str]) -> tuple[list[str], str, list[Any], str, list[Any], str]:
    """Extra tables, the WHERE clause and its params, the rank expression and its params, and the
    rank's sort direction, for this database."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        where = "core_searchentry.vector @@ to_tsquery('english', %s)"
        rank = "ts_rank(core_searchentry.vector, to_tsquery('english', %s))"
        return ["core_searchentry"], where, [tsquery], rank, [tsquery], "-search_rank"
    fts_query = " ".join(f'"{word}"*' for word in words)
    where = "core_searchentry_fts MATCH %s AND core_searchentry_fts.rowid = core_searchentry.id"
    tables = ["core_searchentry", "core_searchentry_fts"]
    return tables, where, [fts_query], "core_searchentry_fts.rank", [], "search_rank"


def search(queryset: models.QuerySet[M], text: str) -> models.QuerySet[M]:
    """``queryset`` narrowed to the records whose text matches ``text``, best matches first.

    One query: the full-text match is joined to the records (FTS5's ``rank`` on SQLite,
    ``ts_rank`` on PostgreSQL), ties broken by the queryset's own order. An empty query returns
    the queryset unchanged. ``extra()`` is used because the ORM cannot join a table it has no
    relation to; every value goes in as a parameter.
    """
    words = query_words(text)
    if not words:
        return queryset
    model = queryset.model
    content_type = ContentType.objects.get_for_model(model)
    pk_field = model._meta.pk
    assert pk_field is not None
    quote = connection.ops.quote_name
    record_key = f"{quote(model._meta.db_table)}.{quote(pk_field.column or 'id')}"
    integer_key = isinstance(pk_field, models.IntegerField | models.AutoField)
    entry_key = (
        "CAST(core_searchentry.object_id AS BIGINT)"
        if integer_key
        else "core_searchentry.object_id"
    )
    tables, match, match_params, rank, rank_params, direction = _match(words)
    tiebreak = list(queryset.query.order_by or model._meta.ordering or ["pk"])
    ranked = queryset.extra(  # noqa: S610 (constant SQL, values as parameters)
        tables=tables,
        where=[
            "core_searchentry.content_type_id = %s",
            f"{record_key} = {entry_key}",
            match,
        ],
        params=[content_type.pk, *match_params],
        select={"search_rank": rank},
        select_params=rank_params,
    ).order_by(direction, *tiebreak)
    return cast("models.QuerySet[M]", ranked)
