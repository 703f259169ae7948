"""The CMDB API, ``/api/v1/cmdb``: items, relations, impact analysis and the service map.

Staff read (``cmdb.view_cis``); service owners, change managers and administrators write
(``cmdb.manage_cis``), always through ``cmdb.actions``. Items are named by number or id. Import
and discovery (``api_import``) and backup operations (``api_backups``) have their own modules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from watchkeeper.cmdb import actions
from watchkeeper.cmdb.api_backups import router as backups_router
from watchkeeper.cmdb.api_import import router as import_router
from watchkeeper.cmdb.api_schemas import (
    CiDetailOut,
    CiFilter,
    CiIn,
    CiPage,
    CiPatch,
    ClassOut,
    ImpactOut,
    MapOut,
    RelationIn,
    RelationOut,
)
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.classes import spec_of
from watchkeeper.cmdb.graph import edges_among, rests_on, walk
from watchkeeper.cmdb.impact import analyse
from watchkeeper.cmdb.lookup import ci_for_field, ci_or_404
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.permissions import CmdbPermission as P
from watchkeeper.core import search
from watchkeeper.core.api import COUNT_LIMIT, SEARCH_COUNT_LIMIT, caller, capped_count, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import group_with_id, user_named, users_named

router = Router(tags=["cmdb"], by_alias=True)
router.add_router("/", import_router)
router.add_router("/", backups_router)
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ITEM = "/cmdb/cis/{ref}"
USERS_SHOWN = 50
MAP_LIMIT = 200


def _items() -> QuerySet[ConfigurationItem]:
    return ConfigurationItem.objects.select_related("owner", "owner_group", "support_group")


def _one(ref: str) -> ConfigurationItem:
    ci = ci_or_404(ref)
    return _items().prefetch_related("subscribers").get(pk=ci.pk)


@router.get("/cmdb/classes", response=list[ClassOut], operation_id="list_ci_classes")
@requires(P.VIEW_CIS)
def list_classes(request: HttpRequest) -> list[dict[str, Any]]:
    """Every class with its typed attributes (what ``attributes`` may hold)."""
    return [
        {"name": value, "label": label, "attributes": spec_of(value).attributes}
        for value, label in CiClass.choices
    ]


@router.get("/cmdb/cis", response={200: CiPage, **ERRORS}, operation_id="list_cis")
@requires(P.VIEW_CIS)
def list_cis(request: HttpRequest, filters: Query[CiFilter]) -> dict[str, Any]:
    items = _items()
    for name in ("ci_class", "status", "environment", "criticality", "serial_number"):
        if (value := getattr(filters, name)) is not None:
            items = items.filter(**{name: value})
    if filters.support_group is not None:
        items = items.filter(support_group_id=filters.support_group)
    if filters.hostname is not None:
        items = items.filter(hostname=filters.hostname.strip().lower())
    if filters.ip_address is not None:
        items = items.filter(ip_address=filters.ip_address.strip())
    limit = COUNT_LIMIT
    if filters.q:
        items, limit = search.matching(items, filters.q), SEARCH_COUNT_LIMIT
    count, capped = capped_count(items, limit)
    page = items.order_by("name", "pk")[filters.offset : filters.offset + filters.limit]
    return {"count": count, "count_capped": capped, "items": list(page)}


def _values(payload: CiPatch) -> tuple[dict[str, Any], list[Any] | None]:
    """Action values from a body: references resolved, "none" spelled 0 or ""; subscribers
    apart."""
    values = payload.dict(exclude_unset=True, exclude={"version", "subscribers"}, by_alias=False)
    if "owner" in values:
        values["owner"] = user_named(values["owner"], "owner") if values["owner"] else None
    for field in ("owner_group", "support_group"):
        if field in values:
            values[field] = group_with_id(values[field], field) if values[field] else None
    if "ip_address" in values:
        values["ip_address"] = str(values["ip_address"]) if values["ip_address"] else None
    if values.get("restore_test_days") == 0:
        values["restore_test_days"] = None
    for name in ("description", "hostname", "serial_number"):
        if name in values and values[name] is None:
            values[name] = ""
    subscribers = payload.subscribers
    return values, None if subscribers is None else users_named(subscribers, "subscribers")


@router.post("/cmdb/cis", response={201: CiDetailOut, **ERRORS}, operation_id="create_ci")
@requires(P.MANAGE_CIS)
def create_ci(request: HttpRequest, payload: CiIn) -> Status[ConfigurationItem]:
    user = caller(request)
    values, subscribers = _values(payload)
    name, ci_class = values.pop("name"), values.pop("ci_class")
    ci = actions.create_ci(
        name=name, ci_class=ci_class, acting_user=user, channel=Channel.API, **values
    )
    if subscribers:
        actions.set_subscribers(ci, subscribers, acting_user=user, channel=Channel.API)
    return Status(201, _one(ci.number))


@router.get(ITEM, response={200: CiDetailOut, **ERRORS}, operation_id="get_ci")
@requires(P.VIEW_CIS)
def get_ci(request: HttpRequest, ref: str) -> ConfigurationItem:
    return _one(ref)


@router.patch(
    ITEM, response={200: CiDetailOut, 409: ConflictOut, **ERRORS}, operation_id="update_ci"
)
@requires(P.MANAGE_CIS)
def update_ci(request: HttpRequest, ref: str, payload: CiPatch) -> ConfigurationItem:
    """Change the fields sent; with ``version`` a change made meanwhile by someone else is
    refused (409)."""
    user, ci = caller(request), ci_or_404(ref)
    values, subscribers = _values(payload)
    actions.update_ci(
        ci, values, acting_user=user, channel=Channel.API, expected_version=payload.version
    )
    if subscribers is not None:
        actions.set_subscribers(ci, subscribers, acting_user=user, channel=Channel.API)
    return _one(ci.number)


def _relations(ci: ConfigurationItem) -> QuerySet[Relation]:
    both = Relation.objects.filter(source=ci) | Relation.objects.filter(target=ci)
    return both.select_related("source", "target").order_by("type", "pk")


@router.get(
    f"{ITEM}/relations", response={200: list[RelationOut], **ERRORS}, operation_id="list_relations"
)
@requires(P.VIEW_CIS)
def list_relations(request: HttpRequest, ref: str) -> QuerySet[Relation]:
    """The item's relations both ways: where it is the source and where it is the target."""
    return _relations(ci_or_404(ref))


@router.post(
    f"{ITEM}/relations", response={201: RelationOut, **ERRORS}, operation_id="add_relation"
)
@requires(P.MANAGE_CIS)
def add_relation(request: HttpRequest, ref: str, payload: RelationIn) -> Status[Relation]:
    """Relate the item to another; adding an existing relation again returns it (idempotent)."""
    ci = ci_or_404(ref)
    if (payload.target is None) == (payload.source is None):
        raise ValidationError({"target": "Give either target or source, not both."})
    if payload.target is not None:
        source, target = ci, ci_for_field(payload.target, "target")
    else:
        source, target = ci_for_field(str(payload.source), "source"), ci
    relation = actions.add_relation(
        source, payload.type, target, acting_user=caller(request), channel=Channel.API
    )
    return Status(201, relation)


@router.delete(
    "/cmdb/relations/{relation_id}",
    response={204: None, **ERRORS},
    operation_id="remove_relation",
)
@requires(P.MANAGE_CIS)
def remove_relation(request: HttpRequest, relation_id: int) -> Status[None]:
    relation = get_object_or_404(
        Relation.objects.select_related("source", "target"), pk=relation_id
    )
    actions.remove_relation(relation, acting_user=caller(request), channel=Channel.API)
    return Status(204, None)


@router.get(
    f"{ITEM}/impact",
    response={200: ImpactOut, **ERRORS},
    operation_id="get_ci_impact",
    description="What stops working if the item fails: affected items by class, the business "
    "and technical services with the chain of relations that reaches each, and their users.",
)
@requires(P.VIEW_CIS)
def impact(request: HttpRequest, ref: str) -> dict[str, Any]:
    ci = ci_or_404(ref)
    result = analyse(ci)
    names = dict(
        ConfigurationItem.objects.filter(
            pk__in={step.via_id for s in result.services for step in result.path_to(s.pk)}
        ).values_list("pk", "number")
    )
    labels = dict(ConfigurationItem.objects.filter(pk__in=names).values_list("pk", "name"))
    services = []
    for service in result.services:
        path = result.path_to(service.pk)
        steps = [
            {"ci": {"number": names[s.via_id], "name": labels[s.via_id]}, "relation": s.relation}
            for s in path
        ]
        depth = path[-1].depth if path else 0
        services.append(
            {"ci": service, "ci_class": service.ci_class, "depth": depth, "path": steps}
        )
    users = result.users()
    return {
        "ci": ci,
        "affected_count": result.count,
        "affected_by_class": result.count_by_class(),
        "truncated": result.truncated,
        "services": services,
        "users_count": users.count(),
        "users": [user.username for user in users[:USERS_SHOWN]],
        "estimated_users": result.estimated_users(),
    }


@router.get(
    f"{ITEM}/map",
    response={200: MapOut, **ERRORS},
    operation_id="get_service_map",
    description=f"The item and everything it rests on (at most {MAP_LIMIT} items, nearest "
    "first; `truncated` says when more exist), with the relations between them.",
)
@requires(P.VIEW_CIS)
def service_map(request: HttpRequest, ref: str) -> dict[str, Any]:
    ci = ci_or_404(ref)
    reached, truncated = walk(ci.pk, rests_on, limit=MAP_LIMIT)
    ids = [ci.pk, *reached]
    items = ConfigurationItem.objects.in_bulk(ids)
    nodes = [
        {
            "ci": items[pk],
            "ci_class": items[pk].ci_class,
            "status": items[pk].status,
            "depth": reached[pk].depth if pk in reached else 0,
        }
        for pk in ids
    ]
    edges = [
        {"source": items[source].number, "type": kind, "target": items[target].number}
        for source, kind, target in edges_among(ids)
    ]
    return {"root": ci, "nodes": nodes, "edges": edges, "truncated": truncated}
