"""Keeping the catalog over the API (``requests.manage_catalog``, service owners): categories,
items, and each item's questions, approval levels and fulfilment plan, each list replaced whole
by a ``PUT``. The writes go through ``requests.catalog_admin``; people, groups and calendars are
named (username, group name, calendar name). A problem answers 400 whose ``errors`` name the
field, a list's row by its index counted from 0 (``variables.2.choices``), as the 422 of a
malformed body does.

The operations share their paths with the catalog's reading ones (``GET /catalog/items``,
``POST /catalog/items``), and Ninja routes one path to one router: so they are added to the
catalog's router (``requests.api``) rather than to a router of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.requests import catalog_admin as actions
from watchkeeper.requests.api import VariableOut
from watchkeeper.requests.api import router as catalog_router
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    FulfilmentStep,
)
from watchkeeper.requests.permissions import RequestPermission as P
from watchkeeper.sla.models import Calendar

router = catalog_router
TAGS = ["catalog editing"]
ERRORS: dict[int, Any] = {
    400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut,
}  # fmt: skip
STRICT = ConfigDict(extra="forbid")
M = TypeVar("M", bound=Model)


# --- schemas ---------------------------------------------------------------------------------


class CategoryIn(ApiSchema):
    model_config = STRICT

    name: str
    description: str = ""
    position: int = Field(0, description="Lower comes first")
    is_active: bool = True


class CategoryPatch(ApiSchema):
    model_config = STRICT

    name: str | None = None
    description: str | None = None
    position: int | None = None
    is_active: bool | None = None


class CategoryAdminOut(Schema):
    id: int
    name: str
    description: str
    position: int
    is_active: bool


class ItemPatch(ApiSchema):
    """Only the fields sent change; ``null`` empties an optional one."""

    model_config = STRICT

    category: int | str | None = Field(None, description="The category's id or name")
    name: str | None = None
    summary: str | None = Field(None, description="One line, shown in the catalog")
    description: str | None = Field(None, description="Markdown, shown on the order form")
    audience_roles: list[str] | None = Field(
        None, max_length=20, description="Who may order it: these roles' holders (e.g. agent)"
    )
    audience_groups: list[str] | None = Field(
        None, max_length=200, description="…and these groups' members (names); neither: everyone"
    )
    fulfilment_group: str | None = Field(None, description="The group that fulfils it (name)")
    cost: Decimal | None = Field(None, description="Per unit")
    position: int | None = None
    is_active: bool | None = Field(None, description="false retires the item")
    owner: str | None = Field(None, description="Username; approves when nobody else can")
    delivery_hours: int | None = Field(None, description="The SLA: working hours to deliver")
    delivery_calendar: str | None = Field(None, description="The calendar of those hours (name)")


class ItemIn(ItemPatch):
    category: int | str = Field(..., description="The category's id or name")
    name: str
    summary: str = Field(..., description="One line, shown in the catalog")


class VariableIn(ApiSchema):
    model_config = STRICT

    name: str = Field(..., description="The answer's key: lower-case letters, digits and _")
    label: str
    kind: str = Field("text", description="text, long_text, number, choice, multi_choice…")
    required: bool = False
    help_text: str = ""
    choices: list[str] = Field(default_factory=list, max_length=500)
    minimum: Decimal | None = None
    maximum: Decimal | None = None


class VariablesIn(ApiSchema):
    model_config = STRICT

    variables: list[VariableIn] = Field(..., max_length=actions.MAX_VARIABLES)


class ApprovalStepIn(ApiSchema):
    model_config = STRICT

    approver_kind: str = Field(..., description="manager, group, user or owner")
    group: str | None = Field(None, description="For a group level: the group's name")
    user: str | None = Field(None, description="For a one-person level: the username")
    rule: str = Field("any", description="any: the first decision counts; all: everyone")


class ApprovalStepsIn(ApiSchema):
    model_config = STRICT

    approval_steps: list[ApprovalStepIn] = Field(..., max_length=actions.MAX_LEVELS)


class FulfilmentStepIn(ApiSchema):
    model_config = STRICT

    id: int | None = Field(None, description="An existing step to change (else a new one)")
    stage: int = Field(1, description="Steps of one stage run in parallel; stages in order")
    title: str
    instructions: str = ""
    group: str | None = Field(None, description="Who does it (default: the item's group)")
    webhook_url: str = Field("", description="Done by a call to this URL")
    webhook_secret: str | None = Field(
        None, description="Signs each call; write-only. Left out: kept; empty: removed"
    )


class FulfilmentStepsIn(ApiSchema):
    model_config = STRICT

    fulfilment_steps: list[FulfilmentStepIn] = Field(..., max_length=actions.MAX_STEPS)


class CategoryRefOut(Schema):
    id: int
    name: str


class ApprovalStepOut(Schema):
    level: int
    approver_kind: str
    group: str | None = Field(None, alias="group.name")
    user: str | None = Field(None, alias="user.username")
    rule: str


class FulfilmentStepOut(Schema):
    id: int
    stage: int
    title: str
    instructions: str
    group: str | None = Field(None, alias="group.name")
    webhook_url: str
    has_webhook_secret: bool = Field(..., description="The secret itself is never shown")

    @staticmethod
    def resolve_has_webhook_secret(step: FulfilmentStep) -> bool:
        return bool(step.webhook_secret)


class ItemSummaryOut(Schema):
    id: int
    name: str
    category: CategoryRefOut
    is_active: bool
    times_ordered: int = Field(..., description="Requested items pointing at it")


class ItemDefinitionOut(ItemSummaryOut):
    summary: str
    description: str
    audience_roles: list[str]
    audience_groups: list[str]
    fulfilment_group: str | None = Field(None, alias="fulfilment_group.name")
    cost: Decimal | None
    position: int
    owner: str | None = Field(None, alias="owner.username")
    delivery_hours: int | None
    delivery_calendar: str | None = Field(None, alias="delivery_calendar.name")
    variables: list[VariableOut]
    approval_steps: list[ApprovalStepOut]
    fulfilment_steps: list[FulfilmentStepOut]

    @staticmethod
    def resolve_audience_groups(item: CatalogItem) -> list[str]:
        return sorted(group.name for group in item.audience_groups.all())

    @staticmethod
    def resolve_variables(item: CatalogItem) -> list[Any]:
        return list(item.variables.all())

    @staticmethod
    def resolve_approval_steps(item: CatalogItem) -> list[ApprovalStep]:
        return list(item.approval_steps.select_related("group", "user"))

    @staticmethod
    def resolve_fulfilment_steps(item: CatalogItem) -> list[FulfilmentStep]:
        return list(item.fulfilment_steps.select_related("group"))


# --- finding what is named -------------------------------------------------------------------


def _named(model: type[M], key: str, value: Any, what: str, **lookup: Any) -> M:
    found = model._default_manager.filter(**lookup).first()
    if found is None:
        raise ValidationError({key: f"No {what} {value!r}."})
    return found


def _category(ref: int | str | None, key: str) -> CatalogCategory | None:
    if ref is None:
        return None
    lookup = {"pk": ref} if isinstance(ref, int) else {"name": ref}
    return _named(CatalogCategory, key, ref, "category", **lookup)


def _group(name: str | None, key: str) -> SupportGroup | None:
    return None if name is None else _named(SupportGroup, key, name, "group named", name=name)


def _user(username: str | None, key: str) -> User | None:
    if username is None:
        return None
    return _named(User, key, username, "user named", username=username)


def _calendar(name: str | None, key: str) -> Calendar | None:
    return None if name is None else _named(Calendar, key, name, "calendar named", name=name)


def _groups(names: list[str] | None, key: str) -> list[SupportGroup] | None:
    if names is None:
        return None
    found = {group.name: group for group in SupportGroup.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ValidationError({key: f"No group named {', '.join(map(repr, missing))}."})
    return list(found.values())


Resolver = Callable[[Any, str], Any]
#: The item's fields sent as names (or an id), and how each is found.
ITEM_RESOLVERS: dict[str, Resolver] = {
    "category": _category,
    "audience_groups": _groups,
    "fulfilment_group": _group,
    "owner": _user,
    "delivery_calendar": _calendar,
}


def _resolved(sent: dict[str, Any], resolvers: dict[str, Resolver], prefix: str) -> dict[str, Any]:
    """``sent`` with each name replaced by what it names; every unknown name at once."""
    values, errors = dict(sent), {}
    for field, resolve in resolvers.items():
        if field in values:
            try:
                values[field] = resolve(values[field], f"{prefix}{field}")
            except ValidationError as problem:
                errors.update(problem.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


def _item_values(sent: dict[str, Any]) -> tuple[dict[str, Any], list[SupportGroup] | None]:
    """The item's fields as the action takes them, and its audience groups (None: unchanged)."""
    values = _resolved(sent, ITEM_RESOLVERS, "")
    return values, values.pop("audience_groups", None)


def _rows(specs: list[Any], prefix: str, resolvers: dict[str, Resolver]) -> list[dict[str, Any]]:
    """The rows of a list as the action takes them: names replaced by what they name."""
    rows, errors = [], {}
    for index, spec in enumerate(specs):
        try:
            rows.append(_resolved(spec.model_dump(), resolvers, f"{prefix}.{index}."))
        except ValidationError as problem:
            errors.update(problem.message_dict)
    if errors:
        raise ValidationError(errors)
    return rows


# --- reading ---------------------------------------------------------------------------------


def _items() -> QuerySet[CatalogItem]:
    return CatalogItem.objects.select_related(
        "category", "fulfilment_group", "owner", "delivery_calendar"
    ).annotate(times_ordered=Count("requested"))


def _item(item_id: int) -> CatalogItem:
    return get_object_or_404(_items(), pk=item_id)


@router.get(
    "/catalog/all-categories",
    response={200: list[CategoryAdminOut], **ERRORS},
    operation_id="list_all_catalog_categories",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
def list_all_categories(request: HttpRequest) -> QuerySet[CatalogCategory]:
    """Every category, empty and inactive ones too, in catalog order."""
    return CatalogCategory.objects.all()


@router.get(
    "/catalog/all-items",
    response={200: list[ItemSummaryOut], **ERRORS},
    operation_id="list_all_catalog_items",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
@paginate(Pagination)
def list_all_items(request: HttpRequest) -> QuerySet[CatalogItem]:
    """Every item, retired ones too, by category and position."""
    return _items().order_by("category__position", "category__name", "position", "name")


@router.get(
    "/catalog/items/{item_id}/definition",
    response={200: ItemDefinitionOut, **ERRORS},
    operation_id="get_catalog_item_definition",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
def get_definition(request: HttpRequest, item_id: int) -> CatalogItem:
    """An item as its keepers edit it: every field, its questions, levels and steps."""
    return _item(item_id)


# --- categories ------------------------------------------------------------------------------


@router.post(
    "/catalog/categories",
    response={201: CategoryAdminOut, **ERRORS},
    operation_id="create_catalog_category",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[CatalogCategory]:
    category = actions.save_category(
        None, acting_user=caller(request), channel=Channel.API, **payload.model_dump()
    )
    return Status(201, category)


@router.patch(
    "/catalog/categories/{category_id}",
    response={200: CategoryAdminOut, **ERRORS},
    operation_id="update_catalog_category",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
def update_category(
    request: HttpRequest, category_id: int, payload: CategoryPatch
) -> CatalogCategory:
    category = get_object_or_404(CatalogCategory, pk=category_id)
    values = payload.model_dump(exclude_unset=True)
    return actions.save_category(
        category, acting_user=caller(request), channel=Channel.API, **values
    )


@router.delete(
    "/catalog/categories/{category_id}",
    response={204: None, **ERRORS},
    operation_id="delete_catalog_category",
    tags=TAGS,
    description="Only an empty category: 409 while it holds items (move them, or deactivate it).",
)
@requires(P.MANAGE_CATALOG)
def delete_category(request: HttpRequest, category_id: int) -> Status[None]:
    category = get_object_or_404(CatalogCategory, pk=category_id)
    actions.delete_category(category, acting_user=caller(request), channel=Channel.API)
    return Status(204, None)


# --- items -----------------------------------------------------------------------------------


@router.post(
    "/catalog/items",
    response={201: ItemDefinitionOut, **ERRORS},
    operation_id="create_catalog_item",
    tags=TAGS,
)
@requires(P.MANAGE_CATALOG)
def create_item(request: HttpRequest, payload: ItemIn) -> Status[CatalogItem]:
    values, groups = _item_values(payload.model_dump(exclude_unset=True))
    item = actions.save_item(
        None, acting_user=caller(request), channel=Channel.API, audience_groups=groups, **values
    )
    return Status(201, _item(item.pk))


@router.patch(
    "/catalog/items/{item_id}",
    response={200: ItemDefinitionOut, **ERRORS},
    operation_id="update_catalog_item",
    tags=TAGS,
    description="Changes the fields sent; `is_active: false` retires the item.",
)
@requires(P.MANAGE_CATALOG)
def update_item(request: HttpRequest, item_id: int, payload: ItemPatch) -> CatalogItem:
    item = get_object_or_404(CatalogItem, pk=item_id)
    values, groups = _item_values(payload.model_dump(exclude_unset=True))
    actions.save_item(
        item, acting_user=caller(request), channel=Channel.API, audience_groups=groups, **values
    )
    return _item(item.pk)


@router.delete(
    "/catalog/items/{item_id}",
    response={204: None, **ERRORS},
    operation_id="delete_catalog_item",
    tags=TAGS,
    description="Only an item never ordered: 409 for the others, which are retired instead "
    "(`PATCH` with `is_active: false`).",
)
@requires(P.MANAGE_CATALOG)
def delete_item(request: HttpRequest, item_id: int) -> Status[None]:
    item = get_object_or_404(CatalogItem, pk=item_id)
    actions.delete_item(item, acting_user=caller(request), channel=Channel.API)
    return Status(204, None)


@router.put(
    "/catalog/items/{item_id}/variables",
    response={200: ItemDefinitionOut, **ERRORS},
    operation_id="set_catalog_item_variables",
    tags=TAGS,
    description="Replaces the order form's questions by the list sent, in its order. A question "
    "whose name stays keeps its identity; one left out is removed (requests already ordered "
    "keep their answers).",
)
@requires(P.MANAGE_CATALOG)
def set_variables(request: HttpRequest, item_id: int, payload: VariablesIn) -> CatalogItem:
    item = get_object_or_404(CatalogItem, pk=item_id)
    specs = [spec.model_dump() for spec in payload.variables]
    actions.replace_variables(item, specs, acting_user=caller(request), channel=Channel.API)
    return _item(item.pk)


@router.put(
    "/catalog/items/{item_id}/approval-steps",
    response={200: ItemDefinitionOut, **ERRORS},
    operation_id="set_catalog_item_approval_steps",
    tags=TAGS,
    description="Replaces the approval policy: the list's rows are levels 1, 2… (empty: no "
    "approval). Requests waiting for approval go on with the levels they have not reached.",
)
@requires(P.MANAGE_CATALOG)
def set_approval_steps(request: HttpRequest, item_id: int, payload: ApprovalStepsIn) -> CatalogItem:
    item = get_object_or_404(CatalogItem, pk=item_id)
    resolvers: dict[str, Resolver] = {"group": _group, "user": _user}
    specs = _rows(payload.approval_steps, "approval_steps", resolvers)
    actions.replace_approval_steps(item, specs, acting_user=caller(request), channel=Channel.API)
    return _item(item.pk)


@router.put(
    "/catalog/items/{item_id}/fulfilment-steps",
    response={200: ItemDefinitionOut, **ERRORS},
    operation_id="set_catalog_item_fulfilment_steps",
    tags=TAGS,
    description="Replaces the fulfilment plan. Send a step's `id` to change it (its webhook "
    "secret is kept when `webhook_secret` is left out); a step left out is removed.",
)
@requires(P.MANAGE_CATALOG)
def set_fulfilment_steps(
    request: HttpRequest, item_id: int, payload: FulfilmentStepsIn
) -> CatalogItem:
    item = get_object_or_404(CatalogItem, pk=item_id)
    specs = _rows(payload.fulfilment_steps, "fulfilment_steps", {"group": _group})
    actions.replace_fulfilment_steps(item, specs, acting_user=caller(request), channel=Channel.API)
    return _item(item.pk)
