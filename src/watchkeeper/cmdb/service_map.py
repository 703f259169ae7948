"""The service map as a picture: an item and everything it rests on, drawn as an SVG.

Pure functions, no database: the view collects the nodes (``graph.walk`` over ``rests_on``) and
the relations among them, then ``cap`` keeps the nearest, ``layout`` puts each depth in its own
column (the item on the left, what it rests on to the right), and ``render_svg`` writes the
picture. Every text in it comes from users (names!), so every text and attribute is escaped.
Colours are SVG presentation attributes, so the standalone ``map.svg`` needs no stylesheet
(the content security policy forbids inline styles); the page's stylesheet adds focus styles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Protocol, TypeVar

#: The most nodes one picture draws; beyond it the page says "and N more".
MAX_NODES = 80

NODE_WIDTH, NODE_HEIGHT = 200, 48
COLUMN_GAP, ROW_GAP, MARGIN = 70, 16, 12
#: How far the arc of an edge within a column (or back) bulges to the right.
ARC = 44
#: The height a longer edge takes where it crosses a column.
LANE = 20
NAME_CHARS = 22

#: (fill, stroke) per class: light fills keep the dark text above 7:1.
CLASS_COLOURS: dict[str, tuple[str, str]] = {
    "business_service": ("#dbe9fb", "#0a58a8"),
    "technical_service": ("#e4e0f7", "#4f2d78"),
    "application": ("#dff3e4", "#14532d"),
    "database": ("#fdebd3", "#6b3300"),
    "server": ("#e3e8ef", "#3d4550"),
    "network_device": ("#d9f0f2", "#0b5560"),
    "storage": ("#f3e3ee", "#6b1f57"),
    "backup_job": ("#fff4d6", "#5c3d00"),
    "location": ("#eef1e0", "#4a5318"),
}
DEFAULT_COLOURS = ("#ffffff", "#4f5866")
#: Statuses drawn differently from "in service": dashed or greyed outlines.
STATUS_DASH = {"planned": "6 3", "maintenance": "2 3", "retired": "1 4"}


@dataclass(frozen=True)
class MapNode:
    id: int
    number: str
    name: str
    ci_class: str
    class_label: str
    status: str
    status_label: str
    depth: int
    #: The node it was reached from (``None`` for the item the map is of).
    via_id: int | None = None


@dataclass(frozen=True)
class MapEdge:
    """``upper`` rests on ``lower``: "mail-app runs on srv-01" (``label`` "runs on")."""

    upper_id: int
    lower_id: int
    label: str


@dataclass(frozen=True)
class Placed:
    node: MapNode
    x: int
    y: int


@dataclass(frozen=True)
class MapLayout:
    placed: dict[int, Placed]
    edges: list[MapEdge]
    #: Per edge, the points it passes from the upper item to the lower one (leaving, arriving,
    #: leaving …); empty for an edge within a column or back, drawn as an arc beside it.
    routes: list[list[tuple[int, int]]]
    width: int
    height: int


#: An entry of a column: an item ("node", id, 0) or where a longer edge crosses the column
#: ("lane", edge index, layer), so the edge passes between the items instead of behind them.
Entry = tuple[str, int, int]


class HasDepth(Protocol):
    @property
    def depth(self) -> int: ...


D = TypeVar("D", bound=HasDepth)


def cap(nodes: Iterable[D], limit: int = MAX_NODES) -> tuple[list[D], int]:
    """The ``limit`` nearest nodes (the map's item, at depth 0, always among them) and how many
    were left out. Within a depth the given order (the walk's) is kept."""
    ordered = sorted(nodes, key=lambda node: node.depth)
    return ordered[:limit], max(0, len(ordered) - limit)


def layers(nodes: list[MapNode], edges: list[MapEdge]) -> dict[int, int]:
    """Each node's column: the longest chain of relations from the map's item to it, so every
    edge points right; items on a cycle (and below one) keep their distance from the walk."""
    layer = {node.id: node.depth for node in nodes}
    below: dict[int, list[int]] = {node.id: [] for node in nodes}
    waiting = dict.fromkeys(layer, 0)
    for edge in edges:
        below[edge.upper_id].append(edge.lower_id)
        waiting[edge.lower_id] += 1
    ready = [node.id for node in nodes if waiting[node.id] == 0]
    while ready:
        upper = ready.pop()
        for lower in below[upper]:
            layer[lower] = max(layer[lower], layer[upper] + 1)
            waiting[lower] -= 1
            if waiting[lower] == 0:
                ready.append(lower)
    return layer


def _entries(
    nodes: list[MapNode], edges: list[MapEdge], layer: dict[int, int]
) -> tuple[dict[int, list[Entry]], dict[Entry, list[Entry]]]:
    """Each layer's entries, and for each entry the entries just before it (what rests on it)."""
    by_layer: dict[int, list[Entry]] = {}
    uppers: dict[Entry, list[Entry]] = {}
    for node in nodes:
        by_layer.setdefault(layer[node.id], []).append(("node", node.id, 0))
        uppers[("node", node.id, 0)] = []
    for index, edge in enumerate(edges):
        previous: Entry = ("node", edge.upper_id, 0)
        for crossing in range(layer[edge.upper_id] + 1, layer[edge.lower_id]):
            lane: Entry = ("lane", index, crossing)
            by_layer.setdefault(crossing, []).append(lane)
            uppers[lane], previous = [previous], lane
        uppers[("node", edge.lower_id, 0)].append(previous)
    return by_layer, uppers


def _columns(nodes: list[MapNode], edges: list[MapEdge]) -> list[list[Entry]]:
    """The columns' entries top to bottom: each level with what rests on it, then by name."""
    by_layer, uppers = _entries(nodes, edges, layers(nodes, edges))
    about = {node.id: node for node in nodes}
    position: dict[Entry, float] = {}

    def key(entry: Entry) -> tuple[float, str, int]:
        rows = [position[upper] for upper in uppers[entry] if upper in position]
        node = about.get(entry[1]) if entry[0] == "node" else None
        via = ("node", node.via_id or 0, 0) if node else entry
        level = sum(rows) / len(rows) if rows else position.get(via, 0)
        return level, node.name.lower() if node else "\uffff", entry[1]

    columns: list[list[Entry]] = []
    for number in sorted(by_layer):
        column = sorted(by_layer[number], key=key)
        position.update({entry: index for index, entry in enumerate(column)})
        columns.append(column)
    return columns


def _routes(
    edges: list[MapEdge], placed: dict[int, Placed], lanes: dict[Entry, tuple[int, int]]
) -> list[list[tuple[int, int]]]:
    routes: list[list[tuple[int, int]]] = []
    for index, edge in enumerate(edges):
        upper, lower = placed[edge.upper_id], placed[edge.lower_id]
        if lower.x <= upper.x:
            routes.append([])
            continue
        points = [(upper.x + NODE_WIDTH, upper.y + NODE_HEIGHT // 2)]
        crossings = sorted((key[2], at) for key, at in lanes.items() if key[1] == index)
        for _layer, (x, y) in crossings:
            points += [(x, y), (x + NODE_WIDTH, y)]
        routes.append([*points, (lower.x, lower.y + NODE_HEIGHT // 2)])
    return routes


def layout(nodes: list[MapNode], edges: Iterable[MapEdge]) -> MapLayout:
    """Positions for every node (top-left corners), and the routes of the edges between them."""
    ids = {node.id for node in nodes}
    kept = [e for e in edges if {e.upper_id, e.lower_id} <= ids and e.upper_id != e.lower_id]
    about = {node.id: node for node in nodes}
    placed: dict[int, Placed] = {}
    lanes: dict[Entry, tuple[int, int]] = {}
    height = 0
    for index, column in enumerate(_columns(nodes, kept)):
        x, y = MARGIN + index * (NODE_WIDTH + COLUMN_GAP), MARGIN
        for entry in column:
            if entry[0] == "node":
                placed[entry[1]] = Placed(about[entry[1]], x, y)
                y += NODE_HEIGHT + ROW_GAP
            else:
                lanes[entry] = (x, y + LANE // 2)
                y += LANE
        height = max(height, y - ROW_GAP + MARGIN)
    columns = len({p.x for p in placed.values()} | {x for x, _ in lanes.values()})
    width = 2 * MARGIN + max(0, columns * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP)
    routes = _routes(kept, placed, lanes)
    if any(not route for route in routes):
        width += ARC  # room for the arcs of edges within a column or back
    return MapLayout(placed, kept, routes, width, max(height, 2 * MARGIN))


def shorten(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _path(route: list[tuple[int, int]]) -> tuple[str, int, int]:
    """Curves between columns, straight through the lanes; the label on the first curve."""
    (x1, y1), (x2, y2) = route[0], route[1]
    path = f"M{x1},{y1}"
    for index in range(0, len(route) - 1, 2):
        (ax, ay), (bx, by) = route[index], route[index + 1]
        bend = max(20, (bx - ax) // 2)
        path += f" C{ax + bend},{ay} {bx - bend},{by} {bx},{by}"
        if index + 2 < len(route):
            path += f" L{route[index + 2][0]},{route[index + 2][1]}"
    return path, (x1 + x2) // 2, (y1 + y2) // 2


def _arc(upper: Placed, lower: Placed) -> tuple[str, int, int]:
    """An edge within a column or back to an earlier one: an arc on the right of the items."""
    x1, y1 = upper.x + NODE_WIDTH, upper.y + NODE_HEIGHT // 2
    x2, y2 = lower.x + NODE_WIDTH, lower.y + NODE_HEIGHT // 2
    path = f"M{x1},{y1} C{x1 + ARC},{y1} {x2 + ARC},{y2} {x2},{y2}"
    return path, max(x1, x2) + ARC // 2, (y1 + y2) // 2


def _edge(edge: MapEdge, route: list[tuple[int, int]], placed: dict[int, Placed]) -> str:
    upper, lower = placed[edge.upper_id], placed[edge.lower_id]
    path, mid_x, mid_y = _path(route) if route else _arc(upper, lower)
    title = f"{upper.node.name} {edge.label} {lower.node.name}"
    return (
        f'<g class="map-edge"><title>{_attr(title)}</title>'
        f'<path d="{path}" fill="none" stroke="#6b7380" stroke-width="1.5" '
        f'marker-end="url(#map-arrow)"/>'
        f'<text x="{mid_x}" y="{mid_y - 4}" text-anchor="middle" font-size="11" fill="#3d4550" '
        f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{_attr(edge.label)}</text></g>'
    )


def _node(item: Placed, href: str, is_root: bool) -> str:
    node = item.node
    fill, stroke = CLASS_COLOURS.get(node.ci_class, DEFAULT_COLOURS)
    dash = STATUS_DASH.get(node.status)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    second = (
        node.class_label
        if node.status == "in_service"
        else f"{node.class_label} · {node.status_label}"
    )
    title = f"{node.number} {node.name} ({second})"
    classes = f"map-node map-node--{node.ci_class} map-node--{node.status}"
    return (
        f'<a class="{_attr(classes)}{" map-node--root" if is_root else ""}" href="{_attr(href)}" '
        f'aria-label="{_attr(title)}" data-ci="{_attr(node.number)}"><title>{_attr(title)}</title>'
        f'<rect x="{item.x}" y="{item.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if is_root else 1.5}"{dash_attr}/>'
        f'<text x="{item.x + 10}" y="{item.y + 20}" font-size="14" font-weight="600" '
        f'fill="#1b1f24">{_attr(shorten(node.name))}</text>'
        f'<text x="{item.x + 10}" y="{item.y + 38}" font-size="12" fill="#3d4550">'
        f"{_attr(shorten(second, NAME_CHARS + 4))}</text></a>"
    )


def render_svg(
    result: MapLayout, *, href: Callable[[MapNode], str], title: str, root_id: int | None = None
) -> str:
    """The picture as one ``<svg>`` element, usable inline in a page or served on its own."""
    edges = "".join(
        _edge(edge, route, result.placed)
        for edge, route in zip(result.edges, result.routes, strict=True)
    )
    nodes = "".join(
        _node(item, href(item.node), item.node.id == root_id) for item in result.placed.values()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="service-map__picture" '
        f'width="{result.width}" height="{result.height}" '
        f'viewBox="0 0 {result.width} {result.height}" role="group" '
        f'aria-label="{_attr(title)}" font-family="system-ui, sans-serif">'
        f"<title>{_attr(title)}</title>"
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#6b7380"/></marker></defs>'
        f"{edges}{nodes}</svg>"
    )
