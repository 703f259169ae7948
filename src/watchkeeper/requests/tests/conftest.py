"""Catalog factories: ``make_item`` (an item with its form's variables)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.requests.models import CatalogCategory, CatalogItem, CatalogVariable


@pytest.fixture
def make_item(db: None) -> Callable[..., CatalogItem]:
    def make(name: str = "Laptop", *variables: dict[str, Any], **fields: Any) -> CatalogItem:
        category, _ = CatalogCategory.objects.get_or_create(name=fields.pop("category", "Hardware"))
        item = CatalogItem.objects.create(
            category=category, name=name, summary=fields.pop("summary", f"A {name}"), **fields
        )
        for position, values in enumerate(variables):
            variable = CatalogVariable(item=item, position=position, **values)
            variable.full_clean()
            variable.save()
        return item

    return make
