"""What the CMDB benchmarks feed in: an inventory to discover, and a large CMDB to analyse.

``inventory(n)`` is what an inventory script of a data centre would send: switches, physical
hosts (with serial numbers) and the virtual servers on them (hostname only), each virtual server
``hosted_on`` its host and each host ``connects_to`` a switch.

``seed_graph`` writes a CMDB of ``cis`` items and about five relations per item in bulk, shaped
like an enterprise's: 50 business services and 200 technical services depend on 5,000
applications, which run on virtual servers and depend on databases (which run on virtual servers
too); virtual servers are hosted on physical hosts and depend on storage; hosts and virtual
servers connect to access switches, which connect to distribution switches, which connect to 10
core switches (the big fan-out); backup jobs back up the virtual servers and databases. Rows go
in with ``core.bulk`` and no history (what is measured reads only items and relations).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

SWITCHES = 200
HOSTS_SHARE = 6  # one physical host per six servers of an inventory


def inventory(size: int, source: str = "bench-inventory") -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"class": "network_device", "name": f"sw-{i:03d}", "serial_number": f"SW{i:05d}",
         "attributes": {"device_type": "switch", "vendor": "Arista", "model": "7050X"}}
        for i in range(SWITCHES)
    ]  # fmt: skip
    hosts = (size - SWITCHES) // HOSTS_SHARE
    for i in range(hosts):
        items.append(
            {"class": "server", "name": f"esx-{i:05d}", "hostname": f"esx-{i:05d}.dc1.example.org",
             "ip_address": f"10.1.{i // 250}.{i % 250 + 1}", "serial_number": f"HOST{i:06d}",
             "attributes": {"kind": "physical", "os": "VMware ESXi", "os_version": "8.0.2",
                            "cpu_count": 64, "memory_gb": 768}}
        )  # fmt: skip
    virtual = size - len(items)
    for i in range(virtual):
        items.append(
            {"class": "server", "name": f"vm-{i:05d}", "hostname": f"vm-{i:05d}.dc1.example.org",
             "ip_address": f"10.2.{i // 250}.{i % 250 + 1}", "environment": "production",
             "attributes": {"kind": "virtual", "os": "Debian GNU/Linux", "os_version": "12",
                            "cpu_count": 4, "memory_gb": 16}}
        )  # fmt: skip
    relations = [
        {"source": {"hostname": f"vm-{i:05d}.dc1.example.org"}, "type": "hosted_on",
         "target": {"serial_number": f"HOST{i % hosts:06d}"}}
        for i in range(virtual)
    ]  # fmt: skip
    relations += [
        {"source": {"serial_number": f"HOST{i:06d}"}, "type": "connects_to",
         "target": {"serial_number": f"SW{i % SWITCHES:05d}"}}
        for i in range(hosts)
    ]  # fmt: skip
    return {"source": source, "items": items, "relations": relations}


#: (class, count, name prefix, attributes) per layer of the seeded CMDB; 100,000 in all.
LAYERS = [
    ("business_service", 50, "Business service", {"user_count": 500}),
    ("technical_service", 200, "Technical service", {}),
    ("application", 5_000, "app", {"vendor": "In-house"}),
    ("database", 5_000, "db", {"engine": "PostgreSQL", "port": 5432}),
    ("server", 6_000, "host", {"kind": "physical"}),
    ("server", 80_000, "vm", {"kind": "virtual"}),
    ("storage", 300, "datastore", {"kind": "san"}),
    ("network_device", 10, "core", {"device_type": "switch"}),
    ("network_device", 90, "dist", {"device_type": "switch"}),
    ("network_device", 900, "access", {"device_type": "switch"}),
    ("location", 50, "site", {}),
    ("backup_job", 2_400, "backup", {"schedule": "0 2 * * *"}),
]


@dataclass
class Graph:
    ids: dict[str, list[int]] = field(default_factory=dict)
    relations: list[tuple[int, str, int]] = field(default_factory=list)


def _edges(graph: Graph, rng: random.Random) -> None:
    ids, add = graph.ids, graph.relations.append

    def link(sources: str, kind: str, targets: str, per: int) -> None:
        pool = ids[targets]
        for source in ids[sources]:
            for target in rng.sample(pool, min(per, len(pool))):
                add((source, kind, target))

    link("Business service", "depends_on", "Technical service", 4)
    for app in ids["app"]:  # each application serves one or two business services
        for service in rng.sample(ids["Business service"], rng.choice((1, 2))):
            add((service, "depends_on", app))
    link("Technical service", "depends_on", "app", 10)
    for app in ids["app"]:
        for db in rng.sample(ids["db"], rng.choice((1, 2))):
            add((app, "depends_on", db))
    link("app", "runs_on", "vm", 8)
    link("db", "runs_on", "vm", 2)
    link("db", "depends_on", "datastore", 1)
    link("vm", "hosted_on", "host", 1)
    link("vm", "depends_on", "datastore", 1)
    link("host", "depends_on", "datastore", 2)
    link("vm", "connects_to", "access", 2)
    link("host", "connects_to", "access", 2)
    link("access", "connects_to", "dist", 2)
    link("dist", "connects_to", "core", 2)
    for job_target in (*ids["vm"], *ids["db"]):
        add((job_target, "backed_up_by", rng.choice(ids["backup"])))


def seed_graph(seed: int = 5) -> Graph:
    """Write the layered CMDB (about 100,000 items, 500,000 relations); its ids by layer."""
    from django.db import transaction
    from django.utils import timezone

    from watchkeeper.cmdb.models import ConfigurationItem, Relation
    from watchkeeper.core import bulk
    from watchkeeper.core.numbering import reserve_numbers

    rng, now, graph = random.Random(seed), timezone.now(), Graph()  # noqa: S311 (not for security)
    names = [
        field.name for field in ConfigurationItem._meta.concrete_fields if not field.primary_key
    ]
    with transaction.atomic():
        fields = ConfigurationItem._meta.concrete_fields
        defaults = {f.attname: f.get_default() for f in fields}
        defaults.update(created_at=now, updated_at=now)
        rows = [
            _row(defaults, prefix, number=number, ci_class=ci_class, name=f"{prefix}-{number}",
                 attributes=attributes)
            for ci_class, count, prefix, attributes in LAYERS
            for number in reserve_numbers("CI", count)
        ]  # fmt: skip
        bulk.insert(ConfigurationItem, names, rows)
        by_number = dict(ConfigurationItem.objects.values_list("number", "pk"))
        for row in rows:
            graph.ids.setdefault(row.layer, []).append(by_number[row.number])
        _edges(graph, rng)
        relations = [
            SimpleNamespace(source_id=s, target_id=t, type=k, discovery_source="", created_at=now)
            for s, k, t in graph.relations
        ]
        bulk.insert(
            Relation, ["source", "target", "type", "discovery_source", "created_at"], relations
        )
    return graph


def _row(defaults: dict[str, Any], layer: str, **values: Any) -> SimpleNamespace:
    """One item's column values: the model's defaults, and ``values``."""
    return SimpleNamespace(**{**defaults, **values, "layer": layer})
