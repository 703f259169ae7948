"""What a page shows of an impact analysis, shared by the CI page, the service map and every
record linked to an item (incidents now; events and changes later).

``impact_context(ci)`` gives the template ``cmdb/_impact_summary.html`` what it needs: the
services affected with the chain of relations that reaches each ("depends on mail-app, which
runs on srv-01"), the affected items by class, and the people affected. ``linked_impact`` does
it for a record with a ``configuration_item`` (or a ``service``), for those who may read the CMDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.cmdb.choices import (
    FAILURE_FLOWS_TO_TARGET,
    RELATION_INVERSE_LABELS,
    CiClass,
    RelationType,
)
from watchkeeper.cmdb.graph import Reached
from watchkeeper.cmdb.impact import Impact, analyse
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.cmdb.permissions import CmdbPermission

#: Services listed by name (with their chains); the rest are counted.
SERVICES_SHOWN = 20
USERS_SHOWN = 5


@dataclass(frozen=True)
class ChainStep:
    """One link of a chain, read from the service down: "runs on" srv-01."""

    verb: str
    number: str
    name: str


@dataclass(frozen=True)
class AffectedService:
    ci: ConfigurationItem
    #: Empty for the item itself (a service whose own failure is the impact).
    chain: list[ChainStep]


def verb_of(step: Reached) -> str:
    """How the reached item relates to the one it was reached from ("runs on", "consists of")."""
    if step.relation in FAILURE_FLOWS_TO_TARGET:  # the part failed, the whole is harmed
        return RELATION_INVERSE_LABELS[step.relation]
    return str(RelationType(step.relation).label)


def _chains(result: Impact, services: list[ConfigurationItem]) -> list[AffectedService]:
    paths = {service.pk: result.path_to(service.pk) for service in services}
    ids = {step.via_id for path in paths.values() for step in path}
    items = ConfigurationItem.objects.filter(pk__in=ids).values_list("pk", "number", "name")
    names = {pk: (number, name) for pk, number, name in items}
    affected = []
    for service in services:
        chain = [
            ChainStep(verb_of(step), *names.get(step.via_id, ("", "?")))
            for step in reversed(paths[service.pk])
        ]
        affected.append(AffectedService(service, chain))
    return affected


def impact_context(ci: ConfigurationItem) -> dict[str, Any]:
    """``{"ci_impact": …}`` for ``cmdb/_impact_summary.html``: what fails with ``ci``."""
    result = analyse(ci)
    shown = result.services[:SERVICES_SHOWN]
    users = result.users()
    by_class = [
        (CiClass(name).label if name in CiClass.values else name, count)
        for name, count in result.count_by_class().items()
    ]
    return {
        "ci_impact": {
            "root": ci,
            "services": _chains(result, shown),
            "more_services": len(result.services) - len(shown),
            "count": result.count,
            "by_class": by_class,
            "users_count": users.count(),
            "user_names": [u.get_full_name() or u.get_username() for u in users[:USERS_SHOWN]],
            "estimated_users": result.estimated_users(),
            "truncated": result.truncated,
        }
    }


def linked_impact(user: Any, record: Any) -> dict[str, Any]:
    """The impact of the item a record is about (its CI, else its service); nothing for those
    who may not read the CMDB or when the record names no item."""
    ci = getattr(record, "configuration_item", None) or getattr(record, "service", None)
    if ci is None or not user.has_perm(CmdbPermission.VIEW_CIS):
        return {}
    return impact_context(ci)
