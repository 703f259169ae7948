"""The demo CMDB for ``watchkeeper demo``: what the demo's business services rest on.

Two services get their full stack (E-mail and a new Payroll service): applications, databases,
virtual servers on two hypervisors, a SAN, two core switches and a firewall in one data centre,
and two nightly backup jobs protecting the databases. Everything goes through the actions, so
the demo items have history like real ones. The E-mail outage incident is linked to its server,
so its page shows the impact.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb import actions
from watchkeeper.cmdb.choices import CiClass, Criticality, RelationType
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions as incidents
from watchkeeper.incidents.models import Incident

#: name: (class, support group, criticality, fields); a business service that exists is kept.
ITEMS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "Payroll": (CiClass.BUSINESS_SERVICE, "Applications", Criticality.HIGH, {
        "description": "Salaries, payslips and tax reports, run monthly.",
        "attributes": {"service_hours": "Mon-Fri 07:00-19:00", "user_count": 40}}),
    "Directory (Active Directory)": (CiClass.TECHNICAL_SERVICE, "Servers", Criticality.CRITICAL, {
        "attributes": {"service_hours": "24x7"}}),
    "Exchange": (CiClass.APPLICATION, "Applications", Criticality.HIGH, {
        "attributes": {"vendor": "Microsoft", "version": "2019 CU14"}}),
    "Payroll (PayWise)": (CiClass.APPLICATION, "Applications", Criticality.HIGH, {
        "attributes": {"vendor": "PayWise", "version": "8.2", "url": "https://payroll.example.org"}}),
    "mailbox-db": (CiClass.DATABASE, "Database", Criticality.HIGH, {
        "attributes": {"engine": "Exchange ESE", "version": "2019"}, "restore_test_days": 90}),
    "payroll-db": (CiClass.DATABASE, "Database", Criticality.HIGH, {
        "attributes": {"engine": "PostgreSQL", "version": "16", "port": 5432},
        "restore_test_days": 30}),
    "mail-01": (CiClass.SERVER, "Servers", Criticality.HIGH, {
        "hostname": "mail-01.corp.example.org", "ip_address": "10.1.20.11",
        "attributes": {"kind": "virtual", "os": "Windows Server", "os_version": "2022",
                       "cpu_count": 8, "memory_gb": 64}}),
    "app-01": (CiClass.SERVER, "Servers", Criticality.MEDIUM, {
        "hostname": "app-01.corp.example.org", "ip_address": "10.1.20.21",
        "attributes": {"kind": "virtual", "os": "Debian", "os_version": "12", "cpu_count": 4,
                       "memory_gb": 16}}),
    "db-01": (CiClass.SERVER, "Servers", Criticality.HIGH, {
        "hostname": "db-01.corp.example.org", "ip_address": "10.1.20.31",
        "attributes": {"kind": "virtual", "os": "Debian", "os_version": "12", "cpu_count": 8,
                       "memory_gb": 32}}),
    "dc-01": (CiClass.SERVER, "Servers", Criticality.CRITICAL, {
        "hostname": "dc-01.corp.example.org", "ip_address": "10.1.20.5",
        "attributes": {"kind": "virtual", "os": "Windows Server", "os_version": "2022"}}),
    "hv-01": (CiClass.SERVER, "Servers", Criticality.CRITICAL, {
        "hostname": "hv-01.corp.example.org", "serial_number": "CZJ3120ABC",
        "attributes": {"kind": "physical", "os": "Proxmox VE", "os_version": "8.2",
                       "cpu_count": 64, "memory_gb": 512}}),
    "hv-02": (CiClass.SERVER, "Servers", Criticality.CRITICAL, {
        "hostname": "hv-02.corp.example.org", "serial_number": "CZJ3120ABD",
        "attributes": {"kind": "physical", "os": "Proxmox VE", "os_version": "8.2",
                       "cpu_count": 64, "memory_gb": 512}}),
    "san-01": (CiClass.STORAGE, "Servers", Criticality.CRITICAL, {
        "serial_number": "SAN-77812", "attributes": {"kind": "san", "capacity_gb": 96000}}),
    "core-sw-01": (CiClass.NETWORK_DEVICE, "Network", Criticality.CRITICAL, {
        "ip_address": "10.1.0.2", "attributes": {"device_type": "switch", "vendor": "Aruba",
                                                 "model": "CX 8360"}}),
    "core-sw-02": (CiClass.NETWORK_DEVICE, "Network", Criticality.CRITICAL, {
        "ip_address": "10.1.0.3", "attributes": {"device_type": "switch", "vendor": "Aruba",
                                                 "model": "CX 8360"}}),
    "fw-edge-01": (CiClass.NETWORK_DEVICE, "Network", Criticality.CRITICAL, {
        "ip_address": "10.1.0.1", "attributes": {"device_type": "firewall", "vendor": "OPNsense",
                                                 "firmware": "24.7"}}),
    "Data centre Berlin-1": (CiClass.LOCATION, "Servers", Criticality.CRITICAL, {
        "attributes": {"address": "Am Borsigturm 1", "city": "Berlin", "country": "DE"}}),
    "backup-mailbox-db-nightly": (CiClass.BACKUP_JOB, "Servers", Criticality.MEDIUM, {
        "attributes": {"schedule": "0 1 * * *", "retention_days": 30, "tool": "Veeam",
                       "destination": "san-01 backup volume"}}),
    "backup-payroll-db-nightly": (CiClass.BACKUP_JOB, "Database", Criticality.MEDIUM, {
        "attributes": {"schedule": "30 2 * * *", "retention_days": 90, "tool": "pgBackRest",
                       "destination": "offsite object storage"}}),
}  # fmt: skip

#: "source <type> target"
RELATIONS: list[tuple[str, str, str]] = [
    ("E-mail", RelationType.DEPENDS_ON, "Exchange"),
    ("E-mail", RelationType.DEPENDS_ON, "Directory (Active Directory)"),
    ("Payroll", RelationType.DEPENDS_ON, "Payroll (PayWise)"),
    ("Payroll", RelationType.DEPENDS_ON, "Directory (Active Directory)"),
    ("Remote access (VPN)", RelationType.DEPENDS_ON, "fw-edge-01"),
    ("Directory (Active Directory)", RelationType.RUNS_ON, "dc-01"),
    ("Exchange", RelationType.RUNS_ON, "mail-01"),
    ("Exchange", RelationType.DEPENDS_ON, "mailbox-db"),
    ("Payroll (PayWise)", RelationType.RUNS_ON, "app-01"),
    ("Payroll (PayWise)", RelationType.DEPENDS_ON, "payroll-db"),
    ("mailbox-db", RelationType.RUNS_ON, "mail-01"),
    ("payroll-db", RelationType.RUNS_ON, "db-01"),
    ("mail-01", RelationType.HOSTED_ON, "hv-01"),
    ("dc-01", RelationType.HOSTED_ON, "hv-01"),
    ("app-01", RelationType.HOSTED_ON, "hv-02"),
    ("db-01", RelationType.HOSTED_ON, "hv-02"),
    *((hv, RelationType.DEPENDS_ON, "san-01") for hv in ("hv-01", "hv-02")),
    *((hv, RelationType.CONNECTS_TO, sw) for hv in ("hv-01", "hv-02")
      for sw in ("core-sw-01", "core-sw-02")),
    *((box, RelationType.HOSTED_ON, "Data centre Berlin-1")
      for box in ("hv-01", "hv-02", "san-01", "core-sw-01", "core-sw-02", "fw-edge-01")),
    ("mailbox-db", RelationType.BACKED_UP_BY, "backup-mailbox-db-nightly"),
    ("payroll-db", RelationType.BACKED_UP_BY, "backup-payroll-db-nightly"),
]  # fmt: skip

SUBSCRIBERS = {"Payroll": ["rita", "oscar", "paul", "aude"], "E-mail": None}  # None: everyone


def load_demo(admin: Any, groups: dict[str, SupportGroup], people: dict[str, User]) -> None:
    """Create the demo CMDB beside the business services ``core.demo`` made."""
    cli = {"acting_user": admin, "channel": Channel.CLI}
    items = {ci.name: ci for ci in ConfigurationItem.objects.services()}
    for name, (ci_class, group, criticality, fields) in ITEMS.items():
        if name not in items:
            items[name] = actions.create_ci(
                name=name, ci_class=ci_class, criticality=criticality,
                support_group=groups[group], owner=people["oscar"], **fields, **cli,
            )  # fmt: skip
    actions.update_ci(items["E-mail"], {"attributes": {"user_count": 850}}, **cli)
    for source, relation_type, target in RELATIONS:
        actions.add_relation(items[source], relation_type, items[target], **cli)
    for service, usernames in SUBSCRIBERS.items():
        users = people.values() if usernames is None else [people[u] for u in usernames]
        actions.set_subscribers(items[service], users, **cli)
    _link_incidents(items, people)


def _link_incidents(items: dict[str, ConfigurationItem], people: dict[str, User]) -> None:
    """The E-mail outage happened on mail-01: its incident names the server."""
    outage = Incident.objects.filter(short_description="E-mail down for all staff").first()
    if outage is not None:
        incidents.update_incident(
            outage, configuration_item=items["mail-01"], acting_user=people["ivy"]
        )
