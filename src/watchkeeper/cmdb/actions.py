"""Writes to configuration items."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core import search
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.numbering import next_number


def create_ci(
    *, name: str, ci_class: str, acting_user: Any, channel: str = Channel.WEB, **fields: Any
) -> ConfigurationItem:
    require_permission(acting_user, CmdbPermission.MANAGE_CIS)
    ci = ConfigurationItem(name=name, ci_class=ci_class, **fields)
    ci.full_clean(exclude=["number"])
    with transaction.atomic():
        ci.number = next_number(ConfigurationItem.NUMBER_PREFIX)
        ci.save()
        changes = {key: (None, getattr(ci, key)) for key in ("name", "ci_class", *fields)}
        record_change(ci, action="created", actor=acting_user, channel=channel, changes=changes)
        search.index(ci, f"{ci.number} {ci.name} {ci.description}")
    return ci
