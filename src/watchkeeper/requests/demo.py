"""The demo organisation's service catalog: a few everyday items with their order forms."""

from __future__ import annotations

from typing import Any

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.requests.choices import ApproverKind
from watchkeeper.requests.choices import VariableKind as K
from watchkeeper.requests.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogVariable,
    FulfilmentStep,
)

#: category, item, summary, fulfilment group, cost, audience roles, variables
CATALOG: list[tuple[str, str, str, str, str | None, list[str], list[dict[str, Any]]]] = [
    ("Hardware", "Laptop", "A standard laptop with a dock", "Servers", "1200.00", [], [
        {"name": "size", "label": "Screen size", "kind": K.CHOICE,
         "choices": ["13 inch", "15 inch"], "required": True},
        {"name": "extras", "label": "Extras", "kind": K.MULTI_CHOICE,
         "choices": ["Second screen", "Headset", "Bag"]},
        {"name": "needed_by", "label": "Needed by", "kind": K.DATE},
        {"name": "reason", "label": "Why", "kind": K.LONG_TEXT, "required": True, "minimum": 10,
         "help_text": "A new starter, a broken laptop, a replacement at end of life…"},
    ]),
    ("Software", "Software installation", "Licensed software on your computer", "Applications",
     None, [], [
        {"name": "software", "label": "Software", "kind": K.TEXT, "required": True},
        {"name": "licence_accepted", "label": "I will use it under its licence",
         "kind": K.CHECKBOX, "required": True},
    ]),
    ("Access", "Database read access", "Read-only access to a production database", "Database",
     None, [Role.AGENT, Role.RESOLVER], [
        {"name": "database", "label": "Database", "kind": K.CONFIGURATION_ITEM, "required": True},
        {"name": "until", "label": "Until", "kind": K.DATE,
         "help_text": "Leave empty for as long as your role needs it."},
    ]),
]  # fmt: skip


def load_catalog(groups: dict[str, SupportGroup], owner: User) -> None:
    for position, (category_name, name, summary, group, cost, roles, variables) in enumerate(
        CATALOG
    ):
        category, _ = CatalogCategory.objects.get_or_create(
            name=category_name, defaults={"position": position}
        )
        item = CatalogItem.objects.create(
            category=category, name=name, summary=summary, fulfilment_group=groups[group],
            cost=cost, audience_roles=roles, owner=owner, position=position,
        )  # fmt: skip
        for order, values in enumerate(variables):
            variable = CatalogVariable(item=item, position=order, **values)
            variable.full_clean()
            variable.save()
        if name == "Laptop":  # the manager approves; the servers team prepares, the desk hands over
            ApprovalStep.objects.create(item=item, level=1, approver_kind=ApproverKind.MANAGER)
            FulfilmentStep.objects.create(item=item, stage=1, title="Prepare the laptop")
            FulfilmentStep.objects.create(
                item=item, stage=2, title="Hand the laptop over", group=groups["Service Desk"]
            )
        if name == "Database read access":  # anyone of the database team decides
            ApprovalStep.objects.create(
                item=item, level=1, approver_kind=ApproverKind.GROUP, group=groups["Database"]
            )
