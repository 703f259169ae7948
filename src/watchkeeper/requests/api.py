"""The service catalog over the API: categories, the items the caller may order with their
order forms, and a check of answers against an item's form (what a portal or a script sends
before ordering)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.markup import render_markdown
from watchkeeper.incidents.api_schemas import ErrorOut
from watchkeeper.requests.api_approvals import router as approvals_router
from watchkeeper.requests.api_requests import router as requests_router
from watchkeeper.requests.api_tasks import router as tasks_router
from watchkeeper.requests.catalog import categories_for, orderable_items
from watchkeeper.requests.models import CatalogCategory, CatalogItem
from watchkeeper.requests.permissions import RequestPermission as P
from watchkeeper.requests.variables import clean_answers

router = Router(tags=["catalog"])
router.add_router("/", requests_router)
router.add_router("/", approvals_router)
router.add_router("/", tasks_router)
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CategoryOut(Schema):
    id: int
    name: str
    description: str


class ItemOut(Schema):
    id: int
    name: str
    summary: str
    category: str = Field(..., alias="category.name")
    cost: Decimal | None


class VariableOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    help_text: str
    choices: list[str]
    minimum: Decimal | None
    maximum: Decimal | None


class ItemDetailOut(ItemOut):
    description_html: str = Field(..., description="The description, rendered and sanitised")
    variables: list[VariableOut]

    @staticmethod
    def resolve_description_html(item: CatalogItem) -> str:
        return render_markdown(item.description)

    @staticmethod
    def resolve_variables(item: CatalogItem) -> list[Any]:
        return list(item.variables.all())


class AnswersIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(
        default_factory=dict, description="By variable name; users by username or id"
    )


class AnswersOut(Schema):
    answers: dict[str, Any] = Field(..., description="As they would be stored")


class ItemFilters(Schema):
    category: int | None = None
    q: str = Field("", max_length=200, description="Words of the name or summary")


@router.get(
    "/catalog/categories", response=list[CategoryOut], operation_id="list_catalog_categories"
)
@requires(P.ORDER)
def list_categories(request: HttpRequest) -> QuerySet[CatalogCategory]:
    """The categories that hold something the caller may order."""
    return categories_for(caller(request))


@router.get("/catalog/items", response=list[ItemOut], operation_id="list_catalog_items")
@requires(P.ORDER)
@paginate(Pagination)
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> QuerySet[CatalogItem]:
    """The items the caller may order (their audience includes them), in catalog order."""
    items = orderable_items(caller(request))
    if filters.category is not None:
        items = items.filter(category_id=filters.category)
    for word in filters.q.split():
        items = items.filter(name__icontains=word) | items.filter(summary__icontains=word)
    return items.order_by("category__position", "position", "name")


def _orderable(request: HttpRequest, item_id: int) -> CatalogItem:
    """The item, if the caller may order it (else 404: the catalog does not show it)."""
    return get_object_or_404(orderable_items(caller(request)), pk=item_id)


@router.get(
    "/catalog/items/{item_id}",
    response={200: ItemDetailOut, **ERRORS},
    operation_id="get_catalog_item",
)
@requires(P.ORDER)
def get_item(request: HttpRequest, item_id: int) -> CatalogItem:
    return _orderable(request, item_id)


@router.post(
    "/catalog/items/{item_id}/check",
    response={200: AnswersOut, **ERRORS},
    operation_id="check_catalog_answers",
    description="Checks answers against the item's form without ordering: 200 with the answers "
    "as they would be stored, or 400 whose `errors` name each wrong one as `answers.<name>` "
    "(422: the body itself is malformed).",
)
@requires(P.ORDER)
def check_answers(request: HttpRequest, item_id: int, payload: AnswersIn) -> dict[str, Any]:
    item = _orderable(request, item_id)
    return {"answers": clean_answers(item.variables.all(), payload.answers)}
