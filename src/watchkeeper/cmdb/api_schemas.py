"""Bodies and answers of the CMDB API (items, relations, impact, service map)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import IPvAnyAddress

from watchkeeper.cmdb.choices import CiClass, CiStatus, Criticality, Environment, RelationType
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.api import ApiFilterSchema
from watchkeeper.incidents.api_schemas import CiRef, GroupRef, Strict

#: Choices are the TextChoices themselves: the schema lists their values, and a wrong one is
#: answered with them.
ClassName = CiClass
StatusName = CiStatus
EnvironmentName = Environment
CriticalityName = Criticality
RelationName = RelationType


class CiPatch(Strict):
    """Every field optional; only those sent change. ``version`` guards against lost updates."""

    name: str | None = Field(None, min_length=1, max_length=200)
    status: StatusName | None = None
    environment: EnvironmentName | None = None
    criticality: CriticalityName | None = None
    description: str | None = Field(None, max_length=20_000)
    owner: str | None = Field(None, description="Username; empty string for none.")
    owner_group: int | None = Field(None, description="Support group id; 0 for none.")
    support_group: int | None = Field(None, description="Support group id; 0 for none.")
    hostname: str | None = Field(None, max_length=255)
    ip_address: IPvAnyAddress | Literal[""] | None = None
    serial_number: str | None = Field(None, max_length=100)
    attributes: dict[str, Any] | None = Field(
        None, description="The class's typed attributes (GET /cmdb/classes); replaces them all."
    )
    restore_test_days: int | None = Field(None, ge=0, le=3650, description="0 for no policy.")
    subscribers: list[str] | None = Field(None, max_length=10_000, description="Usernames.")
    version: int | None = Field(None, ge=1)


class CiIn(CiPatch):
    name: str = Field(..., min_length=1, max_length=200)
    ci_class: ClassName = Field(..., alias="class")


#: Answers call the class "class", as requests do (the router serialises by alias).
ClassOutField = Field(..., validation_alias="ci_class", serialization_alias="class")


class CiOut(Schema):
    number: str
    name: str
    ci_class: str = ClassOutField
    status: str
    environment: str
    criticality: str
    description: str
    owner: str | None
    owner_group: GroupRef | None
    support_group: GroupRef | None
    hostname: str
    ip_address: str | None
    serial_number: str
    attributes: dict[str, Any]
    restore_test_days: int | None
    discovery_source: str
    last_discovered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_owner(ci: ConfigurationItem) -> str | None:
        return ci.owner.username if ci.owner else None


class CiDetailOut(CiOut):
    subscribers: list[str]

    @staticmethod
    def resolve_subscribers(ci: ConfigurationItem) -> list[str]:
        return sorted(user.username for user in ci.subscribers.all())


class CiPage(Schema):
    count: int
    count_capped: bool
    items: list[CiOut]


class CiFilter(ApiFilterSchema):
    q: str | None = Field(None, max_length=200, description="Words in number, name, identifiers")
    ci_class: ClassName | None = Field(None, alias="class")
    status: StatusName | None = None
    environment: EnvironmentName | None = None
    criticality: CriticalityName | None = None
    support_group: int | None = Field(None, ge=1)
    hostname: str | None = Field(None, max_length=255)
    ip_address: str | None = Field(None, max_length=45)
    serial_number: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


class RelationIn(Strict):
    """Exactly one of ``target`` (this item is the source) or ``source`` (it is the target)."""

    type: RelationName
    target: str | None = Field(None, max_length=40, description="CI number or id")
    source: str | None = Field(None, max_length=40, description="CI number or id")


class RelationOut(Schema):
    id: int
    source: CiRef
    type: str
    target: CiRef
    reads: str = Field(..., description="The relation in words, e.g. 'mail-app runs on srv-01'.")
    created_at: dt.datetime

    @staticmethod
    def resolve_reads(relation: Any) -> str:
        return str(relation)


class ImpactStep(Schema):
    ci: CiRef
    relation: str = Field(..., description="How the failure reached it from the previous item.")


class ImpactedService(Schema):
    ci: CiRef
    ci_class: str = ClassOutField
    depth: int = Field(..., description="Relations between the failing item and this service.")
    path: list[ImpactStep]


class ImpactOut(Schema):
    ci: CiRef
    affected_count: int
    affected_by_class: dict[str, int]
    truncated: bool
    services: list[ImpactedService]
    users_count: int
    users: list[str] = Field(..., description="Up to 50 subscribed usernames.")
    estimated_users: int


class MapNode(Schema):
    ci: CiRef
    ci_class: str = ClassOutField
    status: str
    depth: int


class MapEdge(Schema):
    source: str
    type: str
    target: str


class MapOut(Schema):
    root: CiRef
    nodes: list[MapNode]
    edges: list[MapEdge]
    truncated: bool


class AttributeOut(Schema):
    name: str
    label: str
    kind: str
    choices: list[str]
    required: bool
    help: str


class ClassOut(Schema):
    name: str
    label: str
    attributes: list[AttributeOut]
