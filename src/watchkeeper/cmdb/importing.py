"""CSV and JSON import of configuration items and relations, with a dry run and a report.

A file is checked whole before anything is written: every problem is reported as (line, field,
problem) — the CSV line, or the index in the JSON list — and a real run writes only a file
without any, all of it in one transaction (see ``cmdb.upsert``). A dry run answers the same
report and what would be created, changed or left unchanged, and writes nothing. The formats
are described in docs/cmdb-import.md.

CSV: a header row, then one item per row. Columns: ``number`` (optional), ``name``, ``class``,
``status``, ``environment``, ``criticality``, ``description``, ``hostname``, ``ip_address``,
``serial_number``, ``owner`` (username), ``owner_group`` and ``support_group`` (group names),
``restore_test_days`` and ``attr.<name>`` for typed attributes. An empty cell leaves the field as
it is. Relations come in a second CSV file whose header is ``source,type,target``.

JSON: ``{"items": [...], "relations": [{"source": ref, "type": "runs_on", "target": ref}]}``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.cmdb.upsert.entries import Problem, Problems, Where, read_items, read_relations
from watchkeeper.cmdb.upsert.planning import CREATE, UNCHANGED, UPDATE, Plan, make_plan
from watchkeeper.cmdb.upsert.writing import write_plan
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, require_permission

MAX_MB = 20
MAX_BYTES = MAX_MB * 1024 * 1024
ITEM_COLUMNS = (
    "number", "name", "class", "status", "environment", "criticality", "description",
    "hostname", "ip_address", "serial_number", "owner", "owner_group", "support_group",
    "restore_test_days",
)  # fmt: skip
IDENTIFIERS = frozenset({"number", "serial_number", "hostname", "name"})
ATTRIBUTE_PREFIX = "attr."
RELATION_COLUMNS = ("source", "type", "target")
Rows = list[tuple[Where, Any]]


@dataclass(frozen=True)
class ImportFile:
    """A file to import; ``kind`` ("csv" or "json") when known, else told by name or content."""

    name: str
    data: bytes
    kind: str = ""


@dataclass(frozen=True)
class Row:
    """One item that the import creates or changes, for the report."""

    where: str
    outcome: str
    number: str
    ci_class: str
    name: str
    changes: list[str]


@dataclass
class ImportResult:
    dry_run: bool
    applied: bool = False
    problems: list[Problem] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relations_created: int = 0
    relations_existing: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_upload(upload: UploadedFile) -> ImportFile:
    """An uploaded file's bytes; refused unread when it is larger than an import may be."""
    name = upload.name or "upload"
    if (upload.size or 0) > MAX_BYTES:
        raise ValidationError({"file": too_large(name, upload.size or 0)})
    return ImportFile(name, upload.read(MAX_BYTES + 1))


def too_large(name: str, size: int) -> str:
    return (
        f"{name} is {size / 1024 / 1024:.1f} MB; an import file may be at most {MAX_MB} MB. "
        "Split it into several files."
    )


def run_import(
    files: Sequence[ImportFile], *, acting_user: Any, dry_run: bool, channel: str = Channel.IMPORT
) -> ImportResult:
    """Check ``files`` and, unless ``dry_run`` or anything is wrong, import them whole."""
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    problems = Problems()
    result = ImportResult(dry_run=dry_run)
    item_rows, relation_rows = read_files(files, problems)
    unreadable = any(problem.where is None for problem in problems.items)
    if not unreadable and dry_run:
        _fill(result, _plan(item_rows, relation_rows, problems, lock=False))
    elif not unreadable:
        _fill(result, _apply(item_rows, relation_rows, problems, acting_user, channel))
        result.applied = not problems.items
    result.problems = problems.in_order()
    return result


def _apply(
    item_rows: Rows, relation_rows: Rows, problems: Problems, acting_user: Any, channel: str
) -> Plan:
    """Plan with the matched items locked, and write the plan if it has no problems."""
    try:
        with transaction.atomic():
            plan = _plan(item_rows, relation_rows, problems, lock=True)
            if not problems.items:
                write_plan(plan, acting_user=acting_user, channel=channel)
    except IntegrityError:  # PostgreSQL: another writer created the same item meanwhile
        message = "The CMDB changed during the import; nothing was imported. Try again."
        raise Conflict(message) from None
    return plan


def _plan(item_rows: Rows, relation_rows: Rows, problems: Problems, *, lock: bool) -> Plan:
    items = read_items(item_rows, problems)
    relations = read_relations(relation_rows, problems)
    return make_plan(items, relations, problems, lock=lock)


def _fill(result: ImportResult, plan: Plan) -> None:
    result.created, result.updated = plan.count(CREATE), plan.count(UPDATE)
    result.unchanged = plan.count(UNCHANGED)
    new = len(plan.new_relations())
    result.relations_created, result.relations_existing = new, len(plan.relations) - new
    result.rows = [
        Row(
            item.where.label(),
            item.outcome,
            item.ci.number,
            item.ci.ci_class,
            item.ci.name,
            ["class" if name == "ci_class" else name for name in item.changes],
        )
        for item in plan.items
        if item.outcome != UNCHANGED
    ]


# --- reading files ------------------------------------------------------------------------------


def read_files(files: Sequence[ImportFile], problems: Problems) -> tuple[Rows, Rows]:
    """The raw items and relations of one items file (CSV or JSON) and one relations CSV."""
    items: Rows = []
    relations: Rows = []
    kinds: dict[str, str] = {}
    for upload in files:
        if len(upload.data) > MAX_BYTES:
            problems.add(None, "file", too_large(upload.name, len(upload.data)))
            continue
        text = _text(upload, problems)
        if text is None:
            continue
        if _is_json(upload, text):
            file_items, file_relations = _read_json(upload.name, text, problems)
        else:
            file_items, file_relations = _read_csv(text, problems)
        for kind, rows in (("items", file_items), ("relations", file_relations)):
            if rows and kind in kinds:
                message = f"{upload.name} holds {kind} too, as {kinds[kind]} does: give one."
                problems.add(None, "file", message)
            elif rows:
                kinds[kind] = upload.name
        items += file_items
        relations += file_relations
    if not (items or relations or problems.items):
        problems.add(None, "file", "There is nothing to import: no items and no relations.")
    return items, relations


def _text(upload: ImportFile, problems: Problems) -> str | None:
    try:
        return upload.data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = f"byte {error.start + 1}"
        problems.add(None, "file", f"{upload.name} is not UTF-8 text ({where}); save it as UTF-8.")
        return None


def _is_json(upload: ImportFile, text: str) -> bool:
    name = upload.name.lower()
    if upload.kind or name.endswith((".json", ".csv")):
        return upload.kind == "json" or name.endswith(".json")
    return text.lstrip()[:1] in ("{", "[")


def _read_json(name: str, text: str, problems: Problems) -> tuple[Rows, Rows]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        problems.add(None, "file", f"{name} is not valid JSON: {str(error)[:200]}")
        return [], []
    if not isinstance(document, dict):
        problems.add(None, "file", f'{name} must hold an object: {{"items": [...]}}', shape=True)
        return [], []
    for key in sorted(str(key) for key in document if key not in ("items", "relations")):
        problems.add(None, key, "is not part of an import file (items, relations)", shape=True)
    rows: dict[str, Rows] = {}
    for part in ("items", "relations"):
        values = document.get(part, [])
        if not isinstance(values, list):
            problems.add(None, part, "must be a list", shape=True)
            values = []
        rows[part] = [(Where(part, index), value) for index, value in enumerate(values)]
    return rows["items"], rows["relations"]


def _read_csv(text: str, problems: Problems) -> tuple[Rows, Rows]:
    lines = _csv_rows(text, problems)
    header_line = next(lines, None)
    if header_line is None:
        problems.add(None, "file", "The CSV file is empty: it needs a header row.")
        return [], []
    _line, header = header_line
    columns = [column.strip().lower() for column in header]
    if sorted(columns) == sorted(RELATION_COLUMNS):
        rows = _dicts(lines, columns, problems, "relations")
        return [], [(Where("relations", line, csv=True), raw) for line, raw in rows]
    if not _check_header(columns, problems):
        return [], []
    rows = _dicts(lines, columns, problems, "items")
    return [(Where("items", line, csv=True), _item(raw)) for line, raw in rows], []


def _csv_rows(text: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on; unreadable CSV is reported where it stops."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        problems.add(Where("items", line, csv=True), "", f"is not valid CSV: {error}")


def _check_header(columns: list[str], problems: Problems) -> bool:
    where = Where("items", 1, csv=True)
    ok = True
    for column in columns:
        known = column in ITEM_COLUMNS or (
            column.startswith(ATTRIBUTE_PREFIX) and len(column) > len(ATTRIBUTE_PREFIX)
        )
        if not known:
            hint = f"use {', '.join(ITEM_COLUMNS)} or attr.<name>; relations: source,type,target"
            ok = problems.add(where, column or "(empty)", f"is not a column ({hint})", shape=True)
    for column in {column for column in columns if columns.count(column) > 1}:
        ok = problems.add(where, column, "appears twice in the header", shape=True)
    if not IDENTIFIERS & set(columns):
        needed = ", ".join(sorted(IDENTIFIERS))
        ok = problems.add(where, "", f"The header needs a column that identifies items: {needed}.")
    return ok


def _dicts(
    lines: Iterator[tuple[int, list[str]]], columns: list[str], problems: Problems, part: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as ``column: value`` with their non-empty cells; blank rows skipped."""
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            extra = f"has {len(cells)} cells but the header {len(columns)} columns"
            problems.add(Where(part, line, csv=True), "", extra)
            continue
        cells += [""] * (len(columns) - len(cells))
        yield line, {column: cell for column, cell in zip(columns, cells, strict=True) if cell}


def _item(raw: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a JSON item: ``attr.<name>`` columns become ``attributes``."""
    item: dict[str, Any] = {}
    attributes = {}
    for column, value in raw.items():
        if column.startswith(ATTRIBUTE_PREFIX):
            attributes[column.removeprefix(ATTRIBUTE_PREFIX)] = value
        else:
            item[column] = value
    if attributes:
        item["attributes"] = attributes
    return item
