"""The service map picture: columns by depth, the cap on nodes, and escaping of every text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from watchkeeper.cmdb.service_map import (
    ARC,
    COLUMN_GAP,
    MARGIN,
    MAX_NODES,
    NAME_CHARS,
    NODE_HEIGHT,
    NODE_WIDTH,
    ROW_GAP,
    MapEdge,
    MapNode,
    cap,
    layers,
    layout,
    render_svg,
    shorten,
)

SVG = "{http://www.w3.org/2000/svg}"


def node(pk: int, name: str, depth: int, via: int | None = None, **fields: str) -> MapNode:
    defaults = {
        "ci_class": "server", "class_label": "Server", "status": "in_service",
        "status_label": "In service",
    }  # fmt: skip
    defaults.update(fields)
    return MapNode(pk, f"CI{1000 + pk:07d}", name, depth=depth, via_id=via, **defaults)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well formed


def href(item: MapNode) -> str:
    return f"/cmdb/{item.number}/"


def test_each_depth_is_a_column_and_nodes_sit_under_what_they_were_reached_from():
    # given a service on two applications; the second app's server and the first app's server
    nodes = [
        node(1, "E-mail", 0, ci_class="business_service"),
        node(2, "b-app", 1, 1),
        node(3, "a-app", 1, 1),
        node(4, "srv-of-b", 2, 2),
        node(5, "srv-of-a", 2, 3),
    ]
    edges = [MapEdge(1, 2, "depends on"), MapEdge(1, 3, "depends on"), MapEdge(2, 4, "runs on"),
             MapEdge(3, 5, "runs on"), MapEdge(9, 1, "runs on")]  # fmt: skip

    # when they are laid out
    result = layout(nodes, edges)

    # then depth is the column, names order a column, and children follow their parents' order
    column = NODE_WIDTH + COLUMN_GAP
    row = NODE_HEIGHT + ROW_GAP
    positions = {pk: (p.x, p.y) for pk, p in result.placed.items()}
    assert positions == {
        1: (MARGIN, MARGIN),
        3: (MARGIN + column, MARGIN),
        2: (MARGIN + column, MARGIN + row),
        5: (MARGIN + 2 * column, MARGIN),
        4: (MARGIN + 2 * column, MARGIN + row),
    }
    # and the edge to an item not drawn is left out; the size holds every node
    assert [(e.upper_id, e.lower_id) for e in result.edges] == [(1, 2), (1, 3), (2, 4), (3, 5)]
    assert result.width == 2 * MARGIN + 3 * NODE_WIDTH + 2 * COLUMN_GAP
    assert result.height == 2 * MARGIN + 2 * NODE_HEIGHT + ROW_GAP


def test_the_cap_keeps_the_nearest_nodes_and_counts_the_rest():
    # given the item and 100 items at growing depths, listed deepest first
    nodes = [node(pk, f"n{pk}", depth=1 + pk // 10) for pk in range(100, 0, -1)]
    nodes.append(node(0, "root", 0))

    # when the map is capped
    kept, more = cap(nodes)

    # then the item and the nearest are kept, and the rest counted
    assert len(kept) == MAX_NODES and more == 101 - MAX_NODES
    assert kept[0].name == "root"
    assert max(n.depth for n in kept) <= min(n.depth for n in nodes if n not in kept)
    assert cap(nodes[:3], limit=5) == (sorted(nodes[:3], key=lambda n: n.depth), 0)


def test_every_text_is_escaped_and_the_picture_is_well_formed_xml():
    # given items whose names are markup
    evil = '<script>alert("x")</script> & co'
    nodes = [
        node(1, evil, 0, ci_class="application", class_label="Application"),
        node(2, 'db" onload="alert(1)', 1, 1, status="retired", status_label="Retired"),
    ]
    result = layout(nodes, [MapEdge(1, 2, "runs <on>")])

    # when the picture is drawn
    svg = render_svg(result, href=href, title=f"Map of {evil}", root_id=1)

    # then no markup got through, and it parses as SVG with a link per item
    assert "<script>" not in svg and 'onload="' not in svg
    assert "&lt;script&gt;" in svg and "runs &lt;on&gt;" in svg
    root = parse(svg)
    links = root.findall(f".//{SVG}a")
    assert [link.get("href") for link in links] == ["/cmdb/CI0001001/", "/cmdb/CI0001002/"]
    assert [link.get("data-ci") for link in links] == ["CI0001001", "CI0001002"]
    assert root.find(f"{SVG}title").text == f"Map of {evil}"
    # and the retired item is drawn dashed, the map's own item with a thicker outline
    rects = root.findall(f".//{SVG}rect")
    assert rects[0].get("stroke-width") == "3" and rects[1].get("stroke-dasharray")
    assert "Retired" in ET.tostring(links[1], encoding="unicode")


def test_long_names_are_shortened_in_the_box_and_whole_in_its_title():
    # given an item with a long name
    name = "an-application-server-with-a-very-long-name-01"
    result = layout([node(1, name, 0)], [])

    # when drawn
    root = parse(render_svg(result, href=href, title="Map"))

    # then the box shows the shortened name, the tooltip the whole one
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == shorten(name) and texts[0].endswith("…") and len(texts[0]) == NAME_CHARS
    assert name in root.find(f".//{SVG}a/{SVG}title").text


def test_an_item_sits_right_of_everything_that_rests_on_it():
    # given a server that hosts an app directly and through a database the app also needs
    nodes = [node(1, "app", 0), node(2, "db", 1, 1), node(3, "srv", 1, 1), node(4, "hv", 2, 3)]
    edges = [MapEdge(1, 2, "depends on"), MapEdge(1, 3, "runs on"), MapEdge(2, 3, "runs on"),
             MapEdge(3, 4, "hosted on")]  # fmt: skip

    # then the server is a column further than the database (every edge points right)
    assert layers(nodes, edges) == {1: 0, 2: 1, 3: 2, 4: 3}
    result = layout(nodes, edges)
    assert all(result.placed[e.lower_id].x > result.placed[e.upper_id].x for e in result.edges)


def test_an_edge_back_to_an_earlier_column_is_still_drawn():
    # given a cycle: a rests on b, and b (further down) rests on a again
    nodes = [node(1, "a", 0), node(2, "b", 1, 1)]
    result = layout(nodes, [MapEdge(1, 2, "depends on"), MapEdge(2, 1, "depends on")])

    # when drawn
    root = parse(render_svg(result, href=href, title="Map"))

    # then both edges are there, each with its relation as a tooltip, and room for the arc
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert titles == ["a depends on b", "b depends on a"]
    assert result.width == 2 * MARGIN + 2 * NODE_WIDTH + COLUMN_GAP + ARC


def test_an_empty_map_draws_nothing_but_is_valid():
    result = layout([], [])
    root = parse(render_svg(result, href=href, title="Nothing"))
    assert root.findall(f".//{SVG}a") == []
    assert (result.width, result.height) == (2 * MARGIN, 2 * MARGIN)
