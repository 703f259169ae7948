"""One full-text search service for every app: ``index(obj, text)``, ``search`` and ``matching``.

On SQLite the text lives in an FTS5 table (porter stemming); on PostgreSQL in a stored ``tsvector``
column with a GIN index (computing it per query is 25-35x slower). Both match every word of the
query, each as a prefix. ``search`` ranks the best matches first; ``matching`` only narrows the
queryset and keeps its order, which is what a sorted list wants and what stays fast at a million
records. The query's text only ever supplies words (``\\w+``): FTS5 and tsquery operators in it
are ignored, never obeyed.

Each entry's id is ``content type id * 2**40 + record id`` (``SearchEntry.for_record``), so a
match becomes a record id by arithmetic: the SQL joins on ``entry id = base + record id``.
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
#: Up to this many matches are fetched by id and sorted; beyond, the list's own order is walked
#: and the rows that match are kept (cheaper than fetching 20,000 rows to show 25).
FEW_MATCHES = 1000


def index(obj: models.Model, text: str) -> None:
    """Store (or replace) the searchable text of ``obj``; the action that changed it calls this.

    One upsert statement (INSERT … ON CONFLICT DO UPDATE) on both databases.
    """
    content_type = ContentType.objects.get_for_model(obj._meta.model)
    entry = SearchEntry.for_record(content_type.pk, int(obj.pk), text)
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


def _keys(model: type[models.Model]) -> tuple[str, int]:
    """The record's id column, quoted, and the first entry id of its model's range."""
    pk_field = model._meta.pk
    assert pk_field is not None
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(pk_field.column or 'id')}"
    base = SearchEntry.key(ContentType.objects.get_for_model(model).pk, 1) - 1
    return column, base


def _fts_query(words: list[str]) -> str:
    return " ".join(f'"{word}"*' for word in words)


def _tsquery(words: list[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def search(queryset: models.QuerySet[M], text: str) -> models.QuerySet[M]:
    """``queryset`` narrowed to the records whose text matches ``text``, best matches first.

    One query: the full-text match is joined to the records (FTS5's ``rank`` on SQLite,
    ``ts_rank`` on PostgreSQL), ties broken by the queryset's own order. Ranking scores every
    match, so prefer ``matching`` for lists with their own sort. An empty query returns the
    queryset unchanged. ``extra()`` is used because the ORM cannot join a table it has no
    relation to; every value goes in as a parameter.
    """
    words = query_words(text)
    if not words:
        return queryset
    model = queryset.model
    column, base = _keys(model)
    if connection.vendor == "postgresql":
        tables = ["core_searchentry"]
        where = [
            f"core_searchentry.id = %s + {column}",
            f"{column} = core_searchentry.id - %s",
            "core_searchentry.vector @@ to_tsquery('english', %s)",
        ]
        params = [base, base, _tsquery(words)]
        rank = "ts_rank(core_searchentry.vector, to_tsquery('english', %s))"
        rank_params, direction = [_tsquery(words)], "-search_rank"
    else:
        tables = ["core_searchentry_fts"]
        where = [
            f"core_searchentry_fts.rowid = %s + {column}",
            f"{column} = core_searchentry_fts.rowid - %s",
            "core_searchentry_fts MATCH %s",
        ]
        params = [base, base, _fts_query(words)]
        rank, rank_params, direction = "core_searchentry_fts.rank", [], "search_rank"
    # The key equality is written both ways so that either side's index can drive the join.
    tiebreak = list(queryset.query.order_by or model._meta.ordering or ["pk"])
    ranked = queryset.extra(  # noqa: S610 (constant SQL, values as parameters)
        tables=tables, where=where, params=params, select={"search_rank": rank},
        select_params=rank_params,
    ).order_by(direction, *tiebreak)  # fmt: skip
    return cast("models.QuerySet[M]", ranked)


def count_matches(model: type[models.Model], text: str, limit: int) -> int:
    """How many records of ``model`` match ``text``, counted up to ``limit`` from the index alone
    (one entry per record): the exact count of an unfiltered search, without touching records."""
    words = query_words(text)
    if not words:
        return min(model._default_manager.count(), limit)
    _column, base = _keys(model)
    if connection.vendor == "postgresql":
        match = "core_searchentry.vector @@ to_tsquery('english', %s)"
        table, key, params = "core_searchentry", "id", [_tsquery(words)]
    else:
        match, table, key = "core_searchentry_fts MATCH %s", "core_searchentry_fts", "rowid"
        params = [_fts_query(words)]
    # Constant table and column names; the values go in as parameters.
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {match} "  # noqa: S608
    sql += f"AND {table}.{key} >= %s AND {table}.{key} < %s LIMIT %s) AS found"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, base, base + SearchEntry.KEY_SPAN, limit])
        (found,) = cursor.fetchone()
    return int(found)


def matching(
    queryset: models.QuerySet[M], text: str, *, matches: int | None = None
) -> models.QuerySet[M]:
    """``queryset`` narrowed to the records whose text matches ``text``, in its own order.

    Neither database can estimate a prefix match well enough to plan this, so the number of
    matches (``count_matches`` up to ``FEW_MATCHES + 1``, or ``matches`` when the caller counted
    them) chooses: few matches are looked up by id and sorted; many are found by walking the
    list's own order and probing each row's entry until the page is full (SQLite: ``+id`` stops
    it from driving by id; PostgreSQL: ``OFFSET 0`` keeps the probe a per-row subplan).
    """
    words = query_words(text)
    if not words:
        return queryset
    if matches is None:
        matches = count_matches(queryset.model, text, FEW_MATCHES + 1)
    if not matches:
        return queryset.none()
    many = matches > FEW_MATCHES
    column, base = _keys(queryset.model)
    span = [base, base + SearchEntry.KEY_SPAN]
    # Below, only quoted column names go into the SQL text; the values are parameters.
    if connection.vendor == "postgresql":
        match = "core_searchentry.vector @@ to_tsquery('english', %s)"
        if many:
            where = "EXISTS (SELECT 1 FROM core_searchentry WHERE core_searchentry.id = %s + "
            where += f"{column} AND {match} OFFSET 0)"
            params: list[Any] = [base, _tsquery(words)]
        else:
            where = f"{column} IN (SELECT id - %s FROM core_searchentry WHERE {match} "  # noqa: S608
            where += "AND id >= %s AND id < %s)"
            params = [base, _tsquery(words), *span]
    else:
        driver = f"+{column}" if many else column
        where = f"{driver} IN (SELECT rowid - %s FROM core_searchentry_fts WHERE "  # noqa: S608
        where += "core_searchentry_fts MATCH %s AND rowid >= %s AND rowid < %s)"
        params = [base, _fts_query(words), *span]
    narrowed = queryset.extra(where=[where], params=params)  # noqa: S610 (values as parameters)
    return cast("models.QuerySet[M]", narrowed)
