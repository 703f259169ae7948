"""Impact analysis: what stops working, and for whom, when an item fails.

The answer is the set of items the failure spreads to (``graph.failure_spreads``), the business
and technical services among them (the item itself when it is one), and the people subscribed to
those services. Incident, CI and (later) alert pages show it; the API returns it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from watchkeeper.cmdb import graph_cache
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.graph import (
    CHUNK,
    Reached,
    chunks,
    failure_spreads,
    id_array,
    id_in,
    walk_in_memory,
    walk_in_sql,
)
from watchkeeper.cmdb.models import ConfigurationItem

#: The most items one analysis collects; beyond it the result says it is incomplete. Above the
#: benchmark's worst case (a core switch reaching 78,000 of 100,000 items): a cut made before
#: the walk reaches the services would hide exactly what the analysis is for.
IMPACT_LIMIT = 250_000


@dataclass
class Impact:
    root: ConfigurationItem
    reached: Mapping[int, Reached]
    truncated: bool
    services: list[ConfigurationItem] = field(default_factory=list)
    #: Every item's class, when the walk ran over the graph in memory (else a query counts).
    classes: dict[int, str] | None = None

    @property
    def count(self) -> int:
        return len(self.reached)

    def count_by_class(self) -> dict[str, int]:
        """How many affected items of each class, most first."""
        if self.classes is not None:
            known: Counter[str | None] = Counter(map(self.classes.get, self.reached))
            return {str(kind): n for kind, n in known.most_common()}
        table = ConfigurationItem._meta.db_table
        where = id_in("id")  # the ids are one parameter
        sql = f"SELECT ci_class, COUNT(*) FROM {table} WHERE {where} GROUP BY ci_class"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [id_array(list(self.reached))])
            counted: Counter[str] = Counter(dict(cursor.fetchall()))
        return dict(counted.most_common())

    def service_ids(self) -> list[int]:
        return [service.pk for service in self.services]

    def users(self) -> QuerySet:
        """The people subscribed to an affected business service."""
        business = [s.pk for s in self.services if s.ci_class == CiClass.BUSINESS_SERVICE]
        users = get_user_model().objects.filter(subscribed_services__in=business, is_active=True)
        return users.distinct().order_by("username")

    def estimated_users(self) -> int:
        """The sum of the affected business services' declared user counts."""
        business = (s for s in self.services if s.ci_class == CiClass.BUSINESS_SERVICE)
        return sum(int(s.attributes.get("user_count") or 0) for s in business)

    def path_to(self, ci_id: int) -> list[Reached]:
        """How the failure reaches ``ci_id``: the chain of relations from the root."""
        path: list[Reached] = []
        while ci_id in self.reached:
            step = self.reached[ci_id]
            path.append(step)
            ci_id = step.via_id
        return path[::-1]


def analyse(ci: ConfigurationItem, *, limit: int = IMPACT_LIMIT) -> Impact:
    graph = graph_cache.current()  # once: the walk and the classes from the same copy
    reached: Mapping[int, Reached]
    if graph is not None:
        reached, truncated = walk_in_memory(ci.pk, graph.up, graph.down, limit)
    else:
        reached, truncated = walk_in_sql(ci.pk, failure_spreads, limit)
    if graph is not None:
        service_ids = [pk for pk in graph.services if pk in reached]
    else:
        every_service = ConfigurationItem.objects.services().values_list("pk", flat=True)
        service_ids = [pk for pk in every_service.iterator(chunk_size=CHUNK) if pk in reached]
    services = [
        service
        for chunk in chunks(service_ids)
        for service in ConfigurationItem.objects.filter(pk__in=chunk).select_related(
            "support_group"
        )
    ]
    services.sort(key=lambda s: (reached[s.pk].depth, s.name))
    if ci.is_service:
        services.insert(0, ci)
    return Impact(ci, reached, truncated, services, graph.classes if graph else None)
