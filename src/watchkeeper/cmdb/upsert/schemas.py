"""The shape of an item and a relation in a JSON import or a discovery request, and the answers.

Items and relations are checked against these models one by one (so every bad item is named);
the documents around them (``ImportDocument``, ``DiscoveryIn``) also give the OpenAPI schema.
Rules beyond the shape (classes, addresses, groups, attributes) are checked in ``entries``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, field_validator

#: A relation's end: a CI number, ``class:name``, ``hostname:…``, ``serial:…``, a name, or an
#: object with ``number``, ``serial_number``, ``hostname``, ``class``, ``name``.
Reference = str | dict[str, str | None]
MAX_DAYS = 3650


class ItemIn(BaseModel):
    """One item; only the keys sent change an existing item (``null`` or ``""`` clears one).

    A plain pydantic model: ninja's ``Schema`` reads attributes through a getter for Django
    objects, which costs more than the check itself for 10,000 items."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    number: str | None = Field(None, description="An existing item's number: that item.")
    name: str | None = Field(None, description="Required for a new item.")
    ci_class: str | None = Field(
        None, alias="class", description="Required for a new item (GET /cmdb/classes)."
    )
    status: str | None = None
    environment: str | None = None
    criticality: str | None = None
    description: str | None = None
    hostname: str | None = None
    ip_address: str | None = None
    serial_number: str | None = None
    owner: str | None = Field(None, description="Username.")
    owner_group: str | int | None = Field(None, description="Support group name (or id).")
    support_group: str | int | None = Field(None, description="Support group name (or id).")
    restore_test_days: int | None = Field(None, ge=0, le=MAX_DAYS, description="0 for none.")
    attributes: dict[str, Any] | None = Field(
        None, description="Typed attributes, merged into the item's; null removes one."
    )

    @field_validator("restore_test_days", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")  # pydantic would read true as 1
        return value


class RelationIn(Schema):
    """``source <type> target``, e.g. ``{"source": "mail-app", "type": "runs_on", ...}``."""

    model_config = ConfigDict(extra="forbid")

    source: Reference
    type: str = Field(..., description="depends_on, runs_on, hosted_on, connects_to, …")
    target: Reference


class ImportDocument(Schema):
    """A JSON import file."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn] = Field(default_factory=list)
    relations: list[RelationIn] = Field(default_factory=list)


class DiscoveryIn(Schema):
    """What an inventory script saw."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(..., min_length=1, max_length=100, description="Which script or tool.")
    items: list[ItemIn] = Field(default_factory=list)
    relations: list[RelationIn] = Field(default_factory=list)


class ProblemOut(Schema):
    where: str = Field(..., description='"line 4" (CSV) or "items[3]" (JSON)')
    part: Literal["items", "relations", "file"]
    line: int | None = Field(..., description="The CSV line, or the index in the JSON list")
    field: str
    problem: str


class RowOut(Schema):
    where: str
    outcome: Literal["create", "update", "unchanged"]
    number: str = Field(..., description="Empty for an item still to be created")
    ci_class: str = Field(..., serialization_alias="class")
    name: str
    changes: list[str] = Field(..., description="The fields that change")


class Counts(Schema):
    created: int
    updated: int
    unchanged: int
    relations_created: int
    relations_existing: int


class ImportOut(Counts):
    dry_run: bool
    applied: bool
    problems: list[ProblemOut]
    problems_total: int
    rows: list[RowOut] = Field(..., description="Created and updated items (the first 1,000)")
    rows_total: int


class ImportErrorOut(ImportOut):
    detail: str


class DiscoveryOut(Counts):
    source: str
    discovered_at: dt.datetime


class DiscoveryErrorOut(Schema):
    detail: str
    problems: list[ProblemOut]
