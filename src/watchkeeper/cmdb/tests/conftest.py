"""CMDB factories: ``make_ci`` creates an item through the action, ``relate`` links two."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from watchkeeper.cmdb.actions import add_relation, create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem, Relation

_names = count(1)


@pytest.fixture
def make_ci(db: None) -> Callable[..., ConfigurationItem]:
    def make(
        name: str | None = None, ci_class: str = CiClass.SERVER, **fields: Any
    ) -> ConfigurationItem:
        if ci_class == CiClass.BACKUP_JOB:
            fields.setdefault("attributes", {"schedule": "0 2 * * *"})
        return create_ci(
            name=name or f"item-{next(_names)}", ci_class=ci_class, acting_user=None, **fields
        )

    return make


@pytest.fixture
def relate(db: None) -> Callable[..., Relation]:
    def make(source: ConfigurationItem, relation_type: str, target: ConfigurationItem) -> Relation:
        return add_relation(source, relation_type, target, acting_user=None)

    return make
