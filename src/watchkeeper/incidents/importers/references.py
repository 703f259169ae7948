"""The people, groups, categories and configuration items an import refers to, cached by name.

Each is looked up once and created when missing: support groups and configuration items through
their actions (few of them), users in bulk with their "created" history entry and search text
(thousands of callers), categories directly (they have no history).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts.actions import create_group
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import RoleGrant, SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core import bulk as sql
from watchkeeper.core.choices import Channel
from watchkeeper.core.history_bulk import ENTRY_FIELDS, SEARCH_FIELDS, Change, chain
from watchkeeper.core.models import HistoryEntry, SearchEntry
from watchkeeper.incidents.importers.servicenow import ParsedIncident, person_names, username_for
from watchkeeper.incidents.models import Category

#: The class given to ServiceNow's ``cmdb_ci`` values (the export does not say which they are).
CI_CLASS = CiClass.APPLICATION


def roles_named(incidents: Iterable[ParsedIncident]) -> dict[str, set[str]]:
    """Every person the rows name, with the roles their columns imply."""
    roles: dict[str, set[str]] = {}
    for incident in incidents:
        for row in incident.rows:
            for name, role in (
                (row.caller, Role.REQUESTER),
                (row.opened_by, Role.AGENT),
                (row.updated_by, Role.AGENT),
                (row.assignee, Role.RESOLVER),
                (row.resolved_by, Role.RESOLVER),
            ):
                if name is not None:
                    roles.setdefault(name, set()).add(role)
    return roles


class References:
    """Name -> object caches for one import run; ``created`` counts what it had to create."""

    def __init__(self) -> None:
        people = User.objects.only("id", "username", "first_name", "last_name")
        self.users: dict[str, User] = {user.username: user for user in people}
        self.groups = {group.name: group for group in SupportGroup.objects.all()}
        self.categories = {
            (category.parent_id, category.name): category for category in Category.objects.all()
        }
        self.cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(ci_class=CI_CLASS)}
        self.created: Counter[str] = Counter()

    # --- lookups (after ``prepare``) ---

    def user(self, name: str | None) -> User | None:
        return None if name is None else self.users[username_for(name)]

    def group(self, name: str | None) -> SupportGroup | None:
        return None if name is None else self.groups[name]

    def category(self, name: str | None) -> Category | None:
        return None if name is None else self.categories[(None, name)]

    def subcategory(self, category: str | None, name: str | None) -> Category | None:
        parent = self.category(category)
        if parent is None or name is None:
            return None
        return self.categories[(parent.pk, name)]

    def ci(self, name: str | None) -> ConfigurationItem | None:
        return None if name is None else self.cis[name]

    # --- creating what is missing ---

    def prepare(self, incidents: list[ParsedIncident]) -> None:
        """Create every user, group, category and CI these incidents name and that is missing."""
        with transaction.atomic():  # one commit for them all
            self.create_users(roles_named(incidents))
            for incident in incidents:
                for row in incident.rows:
                    self.ensure_group(row.assignment_group)
                    self.ensure_category(row.category, row.subcategory)
                    self.ensure_ci(row.configuration_item)

    def ensure_group(self, name: str | None) -> None:
        if name is not None and name not in self.groups:
            self.groups[name] = create_group(name=name, acting_user=None, channel=Channel.IMPORT)
            self.created["groups"] += 1

    def ensure_category(self, name: str | None, subcategory: str | None) -> None:
        if name is None:
            return
        if (None, name) not in self.categories:
            self.categories[(None, name)] = Category.objects.create(name=name)
            self.created["categories"] += 1
        parent = self.categories[(None, name)]
        if subcategory is not None and (parent.pk, subcategory) not in self.categories:
            child = Category.objects.create(name=subcategory, parent=parent)
            self.categories[(parent.pk, subcategory)] = child
            self.created["categories"] += 1

    def ensure_ci(self, name: str | None) -> None:
        if name is not None and name not in self.cis:
            self.cis[name] = create_ci(
                name=name, ci_class=CI_CLASS, acting_user=None, channel=Channel.IMPORT
            )
            self.created["configuration items"] += 1

    def create_users(self, roles: dict[str, set[str]]) -> None:
        """The missing users in bulk, each with unusable password, roles, history and search."""
        new: dict[str, tuple[User, list[str]]] = {}
        for name, user_roles in roles.items():
            username = username_for(name)
            if username in self.users or username in new:
                continue
            first, last = person_names(name)
            user = User(username=username, first_name=first, last_name=last)
            user.password = make_password(None)  # unusable: nobody logs in as an imported user
            new[username] = (user, sorted(user_roles))
        if not new:
            return
        with transaction.atomic():
            _save_users(list(new.values()))
        for username, (user, granted) in new.items():
            user._roles_cache = frozenset(granted)
            self.users[username] = user
        self.created["users"] += len(new)


def _save_users(new: list[tuple[User, list[str]]]) -> None:
    users = User.objects.bulk_create([user for user, _ in new], batch_size=500)
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=user, role=role) for user, roles in new for role in roles],
        batch_size=1000,
    )
    now = timezone.now()
    entries: list[HistoryEntry] = []
    for user, roles in new:
        changes = {
            "username": (None, user.username),
            "first_name": (None, user.first_name),
            "last_name": (None, user.last_name),
            "roles": (None, roles),
        }
        entries.extend(chain(user, [Change(now, "created", changes)], channel=Channel.IMPORT))
    sql.insert(HistoryEntry, ENTRY_FIELDS, entries)
    sql.update(User, ["history_length", "history_hash"], users)
    content_type = ContentType.objects.get_for_model(User)
    search = [
        SearchEntry.for_record(content_type.pk, user.pk, f"{user.username} {user.get_full_name()}")
        for user in users
    ]
    sql.insert(SearchEntry, SEARCH_FIELDS, search)
