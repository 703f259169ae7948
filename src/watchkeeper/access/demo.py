"""The demo's access management: the ERP's access roles (owned by the head of business
applications), a separation-of-duties rule whose exceptions the internal auditor may allow, the
profiles "Accounts payable clerk" and "Treasury clerk", and the joiner, mover and leaver
requests in the catalog.

Roles, rules and profiles go through ``access.configuration``, so the ERP's history shows them.
Loading again adds only what is missing; on an empty database the administrator stands in for
the demo people and the ERP is made. The ERP's catalog items and the lifecycle items are offered
to the demo's staff (everyone but Rita, whose catalog stays the everyday one): an item is
ordered only for someone whose catalog holds it. Widen ``audience_roles`` in a real catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchkeeper.access import configuration
from watchkeeper.access.choices import LifecycleKind, SodMode
from watchkeeper.access.models import AccessProfile, AccessRole, LifecycleItem, SodRule
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.requests.choices import ApproverKind
from watchkeeper.requests.choices import VariableKind as K
from watchkeeper.requests.models import ApprovalStep, CatalogCategory, CatalogItem, CatalogVariable

#: Everyone: access is asked by anyone, and a joiner's item must be in the joiner's catalog.
AUDIENCE: list[str] = []
#: role: (description, longest grant in days)
ROLES: dict[str, tuple[str, int | None]] = {
    "Invoice entry": ("Enters and codes supplier invoices.", None),
    "Supplier master data": ("Creates suppliers and changes their bank details.", None),
    "Payment approval": ("Releases payment runs to the bank.", None),
    "Finance reports": ("Reads the ledgers and runs the month-end reports.", None),
    "Administrator": ("Configures the ERP: users, company codes, interfaces.", 30),
}
RULE = ("Supplier master data", "Payment approval", "Who creates suppliers does not pay them")
PROFILES = {
    "Accounts payable clerk": (
        "Enters invoices and keeps the supplier records.",
        ["Invoice entry", "Supplier master data", "Finance reports"],
    ),
    "Treasury clerk": ("Pays suppliers and watches cash.", ["Payment approval", "Finance reports"]),
}
#: name, kind, summary
LIFECYCLE = [
    ("New starter's access", LifecycleKind.JOINER, "The standard access of a new starter's job"),
    ("Change of job: access", LifecycleKind.MOVER, "From one job's standard access to another's"),
    ("Leaver: end all access", LifecycleKind.LEAVER, "Everything ends after the last day"),
]
UNTIL = {
    "name": "until", "label": "Until", "kind": K.DATE,
    "help_text": "Leave empty for as long as your job needs it.",
}  # fmt: skip


def load_access(admin: User, people: Mapping[str, User] | None = None) -> None:
    people = people or {}
    owner, auditor = people.get("oscar", admin), people.get("aude", admin)
    cli: dict[str, Any] = {"acting_user": admin, "channel": Channel.CLI}
    erp = _system(admin)
    roles = {name: _role(erp, name, owner, cli) for name in ROLES}
    first, second, why = RULE
    if not SodRule.objects.filter(first=roles[first], second=roles[second]).exists():
        configuration.save_rule(None, {
            "first": roles[first], "second": roles[second], "description": why,
            "mode": SodMode.APPROVAL, "approver": auditor,
        }, **cli)  # fmt: skip
    for name, (description, role_names) in PROFILES.items():
        if not AccessProfile.objects.filter(name=name).exists():
            configuration.save_profile(
                None, {"name": name, "description": description},
                roles=[roles[r] for r in role_names], **cli,
            )  # fmt: skip
    _lifecycle_items(owner, admin)


def _system(admin: User) -> ConfigurationItem:
    found = ConfigurationItem.objects.filter(name="ERP").first()
    return found or create_ci(
        name="ERP", ci_class=CiClass.APPLICATION, description="Finance, purchasing and stock.",
        acting_user=admin, channel=Channel.CLI,
    )  # fmt: skip


def _item(name: str, category: str, summary: str, owner: User) -> tuple[CatalogItem, bool]:
    """The catalog item named ``name``, made (for everyone) when missing; whether it was."""
    found = CatalogItem.objects.filter(name=name).first()
    if found is not None:
        return found, False
    shelf, _ = CatalogCategory.objects.get_or_create(name=category, defaults={"position": 9})
    group = SupportGroup.objects.filter(name="Applications").first()
    item = CatalogItem.objects.create(
        category=shelf, name=name, summary=summary, owner=owner, fulfilment_group=group,
        audience_roles=AUDIENCE,
    )  # fmt: skip
    return item, True


def _role(erp: ConfigurationItem, name: str, owner: User, cli: dict[str, Any]) -> AccessRole:
    found = AccessRole.objects.filter(system=erp, name=name).first()
    if found is not None:
        return found
    description, max_days = ROLES[name]
    item, made = _item(f"ERP: {name}", "Access", description, owner)
    if made:  # the role's owner approves; the applications team sets up the account
        variable = CatalogVariable(item=item, position=0, **UNTIL)
        variable.full_clean()
        variable.save()
        ApprovalStep.objects.create(item=item, level=1, approver_kind=ApproverKind.OWNER)
    values = {
        "system": erp, "name": name, "description": description, "owner": owner,
        "max_days": max_days, "catalog_item": item,
    }  # fmt: skip
    return configuration.save_role(None, values, **cli)


def _lifecycle_items(owner: User, admin: User) -> None:
    entries = [(item.catalog_item, item.kind) for item in LifecycleItem.objects.all()]
    listed = {item.pk for item, _kind in entries}
    for name, kind, summary in LIFECYCLE:
        item, made = _item(name, "People", summary, owner)
        if made and kind != LifecycleKind.LEAVER:  # the person's manager approves
            ApprovalStep.objects.create(item=item, level=1, approver_kind=ApproverKind.MANAGER)
        if item.pk not in listed:
            entries.append((item, kind))
    configuration.set_lifecycle_items(entries, acting_user=admin)
