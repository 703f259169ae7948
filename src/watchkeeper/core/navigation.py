"""The navigation each user sees, derived from their permissions (never from role names alone)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from watchkeeper.accounts.choices import MANAGER_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None
    #: Not shown to holders of this permission (they reach the page from the workspace).
    unless: str | None = None

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "home"),
    NavItem("Report an incident", "incidents:report", "incidents.report"),
    NavItem("My tickets", "incidents:my_tickets", "incidents.report"),
    NavItem("Catalog", "requests:catalog", "requests.order"),
    NavItem("Knowledge", "knowledge:portal_list", "knowledge.read", unless="incidents.view_all"),
    NavItem("Workspace", "incidents:queue", "incidents.view_all"),
    NavItem("CMDB", "cmdb:list", "cmdb.view_cis"),
    NavItem("Alerts", "events:console", "events.view"),
    NavItem("Profile", "profile"),
    NavItem("Administration", "admin:index", "accounts.manage_users"),
]


def items_for(user: Any) -> list[NavItem]:
    return [
        item
        for item in NAV_ITEMS
        if (item.permission is None or user.has_perm(item.permission))
        and not (item.unless and user.has_perm(item.unless))
    ]


HOME_ORDER: list[tuple[str, frozenset[str]]] = [
    ("administrator", frozenset({Role.ADMINISTRATOR})),
    ("auditor", frozenset({Role.AUDITOR})),
    ("service_owner", frozenset({Role.SERVICE_OWNER})),
    ("manager", MANAGER_ROLES),
    ("resolver", frozenset({Role.RESOLVER})),
    ("agent", frozenset({Role.AGENT})),
]


def home_for(user: Any) -> str:
    """The home dashboard of the user's most responsible role; requesters get the portal home."""
    for home, roles in HOME_ORDER:
        if user.roles & roles:
            return home
    return "requester"
