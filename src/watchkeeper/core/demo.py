"""The demo organisation: support groups, one user of every role, and a few business services.

Everything is created through the actions, so the demo data has history like real data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from watchkeeper.access.demo import load_access
from watchkeeper.accounts import actions as accounts
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.management.commands.createadmin import create_admin
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass, Criticality
from watchkeeper.cmdb.demo import load_demo as load_cmdb
from watchkeeper.core.choices import Channel
from watchkeeper.knowledge.demo import load_knowledge
from watchkeeper.requests.demo import load_catalog
from watchkeeper.sla.demo import load_service_levels

GROUPS = {
    "Service Desk": "First line: takes every call, e-mail and portal ticket.",
    "Network": "LAN, WAN, Wi-Fi, VPN, firewalls and load balancers.",
    "Servers": "Physical and virtual servers, operating systems, backups.",
    "Applications": "Business applications: ERP, intranet, e-mail.",
    "Database": "Database servers, replication and restores.",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    job_title: str
    group: str | None = None


USERS = [
    DemoUser("rita", "Rita", "Requester", Role.REQUESTER, "Accountant"),
    DemoUser("adam", "Adam", "Agent", Role.AGENT, "Service desk agent", "Service Desk"),
    DemoUser("nina", "Nina", "Network", Role.RESOLVER, "Network engineer", "Network"),
    DemoUser("sam", "Sam", "Servers", Role.RESOLVER, "Systems engineer", "Servers"),
    DemoUser("ivy", "Ivy", "Incident", Role.INCIDENT_MANAGER, "Incident manager", "Service Desk"),
    DemoUser("paul", "Paul", "Problem", Role.PROBLEM_MANAGER, "Problem manager", "Applications"),
    DemoUser("chloe", "Chloe", "Change", Role.CHANGE_MANAGER, "Change manager", "Servers"),
    DemoUser("alex", "Alex", "Access", Role.ACCESS_MANAGER, "Access manager", "Service Desk"),
    DemoUser("oscar", "Oscar", "Owner", Role.SERVICE_OWNER, "Head of business applications"),
    DemoUser("aude", "Aude", "Auditor", Role.AUDITOR, "Internal auditor"),
]

SERVICES = [
    ("E-mail", "Mail, calendars and shared mailboxes.", "Applications", Criticality.HIGH),
    ("ERP", "Finance, purchasing and stock.", "Applications", Criticality.CRITICAL),
    ("Intranet", "The staff portal and document library.", "Applications", Criticality.MEDIUM),
    ("Remote access (VPN)", "Working from home and travelling.", "Network", Criticality.HIGH),
    ("File shares", "Department file shares and home drives.", "Servers", Criticality.MEDIUM),
]


def is_empty() -> bool:
    return not User.objects.exists()


@transaction.atomic
def load_demo(password: str | None = None) -> tuple[User, str]:
    """Create the demo organisation; every demo user gets the administrator's password."""
    admin, password = create_admin("admin", "admin@example.org", password)
    groups = {
        name: accounts.create_group(
            name=name, description=text, acting_user=admin, channel=Channel.CLI
        )
        for name, text in GROUPS.items()
    }
    people = {}
    for person in USERS:
        people[person.username] = accounts.create_user(
            username=person.username,
            email=f"{person.username}@example.org",
            password=password,
            roles=[person.role],
            first_name=person.first_name,
            last_name=person.last_name,
            job_title=person.job_title,
            acting_user=admin,
            channel=Channel.CLI,
        )
    for name, group in groups.items():
        members = [people[p.username] for p in USERS if p.group == name]
        accounts.set_members(group, members, acting_user=admin, channel=Channel.CLI)
    _set_managers(groups, people, admin)
    for name, text, group_name, criticality in SERVICES:
        create_ci(
            name=name,
            ci_class=CiClass.BUSINESS_SERVICE,
            description=text,
            criticality=criticality,
            owner=people["oscar"],
            support_group=groups[group_name],
            acting_user=admin,
            channel=Channel.CLI,
        )
    load_service_levels(admin, groups)
    _load_incidents(groups, people)
    load_cmdb(admin, groups, people)
    load_catalog(groups, people["oscar"])
    load_access(admin, people)
    load_knowledge(people, admin)
    return admin, password


def _load_incidents(groups: dict[str, SupportGroup], people: dict[str, User]) -> None:
    """Categories with their default groups, and a few incidents in every state."""
    from watchkeeper.incidents import demo as incidents_demo

    categories = incidents_demo.load_categories(groups)
    incidents_demo.load_incidents(groups, people, categories)


def _set_managers(groups: dict[str, SupportGroup], people: dict[str, User], admin: User) -> None:
    managers = {"Service Desk": "ivy", "Applications": "paul", "Servers": "chloe"}
    for group_name, username in managers.items():
        accounts.update_group(
            groups[group_name], manager=people[username], acting_user=admin, channel=Channel.CLI
        )
