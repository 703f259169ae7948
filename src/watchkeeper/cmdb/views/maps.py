"""The service map: an item and everything it rests on, as a picture (inline in the page and as
``map.svg``), with the services that fail if the item fails.

The walk follows ``graph.rests_on`` (the opposite of the way failures spread); the picture keeps
the nearest ``service_map.MAX_NODES`` items and says how many more there are.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views import View

from watchkeeper.cmdb.choices import (
    FAILURE_FLOWS_TO_SOURCE,
    RELATION_INVERSE_LABELS,
    CiClass,
    RelationType,
)
from watchkeeper.cmdb.graph import Reached, edges_among, rests_on, walk
from watchkeeper.cmdb.lookup import ci_or_404
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.cmdb.service_map import (
    CLASS_COLOURS,
    MAX_NODES,
    MapEdge,
    MapNode,
    cap,
    layout,
    render_svg,
)
from watchkeeper.cmdb.views.impact import impact_context
from watchkeeper.cmdb.views.items import ViewCisMixin

#: How far the walk counts items beyond those drawn (for "and N more").
WALK_LIMIT = 5000


def _nodes(ci: ConfigurationItem, kept: list[Reached]) -> list[MapNode]:
    rows = ConfigurationItem.objects.filter(pk__in=[r.ci_id for r in kept])
    found = {item.pk: item for item in rows.only("number", "name", "ci_class", "status")}
    nodes = []
    for step in kept:
        item = found.get(step.ci_id)
        if item is None:  # removed since the walk
            continue
        nodes.append(
            MapNode(
                id=item.pk, number=item.number, name=item.name, ci_class=item.ci_class,
                class_label=item.get_ci_class_display(), status=item.status,
                status_label=item.get_status_display(), depth=step.depth,
                via_id=None if item.pk == ci.pk else step.via_id,
            )
        )  # fmt: skip
    return nodes


def _edges(ids: list[int]) -> list[MapEdge]:
    """Every "rests on" relation among the drawn items, pointing from the upper to the lower."""
    edges = []
    for source, kind, target in edges_among(ids):
        if kind in FAILURE_FLOWS_TO_SOURCE:
            edges.append(MapEdge(source, target, str(RelationType(kind).label)))
        else:  # a part: the whole rests on it
            edges.append(MapEdge(target, source, RELATION_INVERSE_LABELS[kind]))
    return edges


def service_map(ci: ConfigurationItem) -> dict[str, Any]:
    """The picture of ``ci``'s map and what it left out."""
    reached, truncated = walk(ci.pk, rests_on, limit=WALK_LIMIT)
    root = Reached(ci.pk, 0, ci.pk, "")
    kept, more = cap([root, *reached.values()], MAX_NODES)
    nodes = _nodes(ci, kept)
    result = layout(nodes, _edges([node.id for node in nodes]))
    svg = render_svg(
        result,
        href=lambda node: reverse("cmdb:detail", args=[node.number]),
        title=f"Service map of {ci.number} {ci.name}: what it rests on",
        root_id=ci.pk,
    )
    return {"svg": svg, "nodes": nodes, "more": more, "more_is_estimate": truncated}


def legend() -> list[tuple[str, str, str]]:
    return [(value, str(label), CLASS_COLOURS[value][0]) for value, label in CiClass.choices]


class MapView(ViewCisMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        drawn = service_map(ci)
        context = {
            "ci": ci,
            **drawn,
            "svg": mark_safe(drawn["svg"]),  # noqa: S308 - built by render_svg, every text escaped
            "legend": legend(),
            **impact_context(ci),
        }
        return render(request, "cmdb/map.html", context)


class MapSvgView(ViewCisMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + service_map(ci)["svg"]
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{ci.number}-map.svg"'
        return response
