"""Declared permissions: each app lists its permissions in an enum and grants them to roles.

An app's ``permissions.py`` holds a ``StrEnum`` of ``"<app>.<codename>"`` values and a ``GRANTS``
mapping of role to permissions. ``granted_to`` gathers them from every installed app, so adding an
app never means editing a central table. Administrators hold every permission.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from types import ModuleType

from django.apps import apps


class CorePermission(StrEnum):
    """Permissions that no single domain app owns (granted to roles in ``accounts.permissions``)."""

    USE_WORKSPACE = "core.use_workspace"
    VIEW_HISTORY = "core.view_history"
    VERIFY_AUDIT_TRAIL = "core.verify_audit_trail"


def _permission_modules() -> list[ModuleType]:
    modules = []
    for config in apps.get_app_configs():
        try:
            modules.append(importlib.import_module(f"{config.name}.permissions"))
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.permissions":
                raise
    return modules


@cache
def all_permissions() -> frozenset[str]:
    """Every permission any app declares (the members of its ``StrEnum`` classes)."""
    declared: set[str] = set()
    for module in _permission_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
                declared.update(str(member) for member in value)
    return frozenset(declared)


@cache
def all_grants() -> dict[str, frozenset[str]]:
    collected: dict[str, set[str]] = {}
    for module in _permission_modules():
        for role, permissions in getattr(module, "GRANTS", {}).items():
            collected.setdefault(str(role), set()).update(str(p) for p in permissions)
    return {role: frozenset(perms) for role, perms in collected.items()}


def granted_to(roles: Iterable[str]) -> frozenset[str]:
    grants = all_grants()
    result: set[str] = set()
    for role in roles:
        result |= grants.get(role, frozenset())
    return frozenset(result)
