"""Discovery: an inventory script reports what it sees, and the CMDB follows.

``POST /api/v1/cmdb/discovery`` sends ``{"source": "inventory-script-1", "items": [...],
"relations": [...]}``. Each item is matched by the identity rule (``cmdb.identity``) and created,
or updated with the fields sent (the others are left as they are); each relation is created
unless it exists. The same inventory sent again changes nothing and writes no history entry:
it is idempotent, so a script can send all it sees every hour.

Every item reported gets ``discovery_source`` and ``last_discovered_at``. These stamps say when
a tool last saw the item, not what the item is, so they are written by one bulk UPDATE and
never as history entries or new versions (``upsert.writing``).

A request is all or nothing: any problem (the item's index and field, ``items[3].ip_address:
…``) refuses the whole inventory and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from watchkeeper.cmdb.identity import has_nul
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.cmdb.upsert.entries import Problem, Problems, Where, read_items, read_relations
from watchkeeper.cmdb.upsert.planning import CREATE, UNCHANGED, UPDATE, make_plan
from watchkeeper.cmdb.upsert.writing import Stamp, write_plan
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, require_permission

DOCUMENT_KEYS = ("source", "items", "relations")
MAX_SOURCE = 100
#: Problems named in an error's ``detail`` (all of them are in its ``problems``).
DETAIL_PROBLEMS = 20


@dataclass(frozen=True)
class DiscoveryResult:
    source: str
    discovered_at: dt.datetime
    created: int
    updated: int
    unchanged: int
    relations_created: int
    relations_existing: int


class DiscoveryRefused(Exception):
    """The inventory has problems; nothing was written. ``status`` is 422 when a value has the
    wrong type or a key is missing or unknown, 400 when a rule refused a value."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.status = 422 if any(problem.shape for problem in problems) else 400
        shown = "; ".join(problem.text() for problem in problems[:DETAIL_PROBLEMS])
        more = len(problems) - DETAIL_PROBLEMS
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))


def run_discovery(document: Any, *, acting_user: Any) -> DiscoveryResult:
    """Upsert the items and relations of one inventory (a parsed JSON body)."""
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    problems = Problems()
    source, item_rows, relation_rows = _read_document(document, problems)
    if problems.items:
        raise DiscoveryRefused(problems.in_order())
    stamp = Stamp(source, timezone.now())
    try:
        with transaction.atomic():
            items = read_items(item_rows, problems)
            relations = read_relations(relation_rows, problems)
            plan = make_plan(items, relations, problems, lock=True)
            if problems.items:
                raise DiscoveryRefused(problems.in_order())
            write_plan(plan, acting_user=acting_user, channel=Channel.API, stamp=stamp)
    except IntegrityError:  # PostgreSQL: another inventory created the same item meanwhile
        message = "The CMDB changed while this inventory was written; send it again."
        raise Conflict(message) from None
    new = len(plan.new_relations())
    return DiscoveryResult(
        source=source,
        discovered_at=stamp.at,
        created=plan.count(CREATE),
        updated=plan.count(UPDATE),
        unchanged=plan.count(UNCHANGED),
        relations_created=new,
        relations_existing=len(plan.relations) - new,
    )


def _read_document(
    document: Any, problems: Problems
) -> tuple[str, list[tuple[Where, Any]], list[tuple[Where, Any]]]:
    """The source and the raw items and relations; the document's shape checked."""
    if not isinstance(document, dict):
        problems.add(None, "body", 'must be an object: {"source": …, "items": [...]}', True)
        return "", [], []
    for key in sorted(str(key) for key in document if key not in DOCUMENT_KEYS):
        problems.add(None, key, "is not part of an inventory (source, items, relations)", True)
    source = document.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.add(None, "source", "must name the script or tool, e.g. inventory-script-1", True)
        source = ""
    elif len(source.strip()) > MAX_SOURCE or has_nul(source):
        problems.add(None, "source", f"must be at most {MAX_SOURCE} characters, without NUL")
    rows: dict[str, list[tuple[Where, Any]]] = {}
    for part in ("items", "relations"):
        values = document.get(part, [])
        if not isinstance(values, list):
            problems.add(None, part, "must be a list", True)
            values = []
        rows[part] = [(Where(part, index), value) for index, value in enumerate(values)]
    return source.strip(), rows["items"], rows["relations"]
