"""The server-side SVG charts: escaped texts, drill-down links with exact numbers in their
tooltips, unusual buckets marked, the heat map's shades."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from watchkeeper.reporting import charts
from watchkeeper.reporting.charts import Bar, TrendPoint

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    """The chart as XML: it must be well-formed, whatever the names in it."""
    return ET.fromstring(svg)  # noqa: S314 - our own output, in a test


def test_a_bar_label_with_markup_is_escaped_and_the_chart_stays_well_formed() -> None:
    # when
    svg = charts.bar_chart(
        [Bar("<script>alert(1)</script>", 7, "/x?a=1&b=2")], title='Groups "&" <b>'
    )
    # then
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    root = parsed(svg)
    assert root.get("role") == "img" and root.get("aria-label") == 'Groups "&" <b>'
    assert root.findtext(f"{SVG}title") == 'Groups "&" <b>'
    [link] = root.iter(f"{SVG}a")
    assert link.get("href") == "/x?a=1&b=2"
    assert link.findtext(f"{SVG}title") == "<script>alert(1)</script>: 7 incidents"


def test_each_bar_links_to_its_drill_down_and_is_as_long_as_its_share() -> None:
    bars = [Bar("Network", 10, "/drill?g=1"), Bar("Desk", 5, "/drill?g=2"), Bar("None", 0)]
    root = parsed(charts.bar_chart(bars, title="By group", unit="opened", width=560))
    links = list(root.iter(f"{SVG}a"))
    assert [link.get("href") for link in links] == ["/drill?g=1", "/drill?g=2"]
    assert [link.findtext(f"{SVG}title") for link in links] == [
        "Network: 10 opened",
        "Desk: 5 opened",
    ]
    widths = [float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")]
    bar_widths = [w for w in widths if w != 560]  # leave out the rows' hit areas
    assert bar_widths == [316.0, 158.0, 0.0]  # 560 - 180 label - 64 value = 316 for the most


def test_the_trend_has_two_lines_and_rings_an_unusual_bucket() -> None:
    points = [
        TrendPoint(f"{day} Mar", opened, resolved, f"/o{day}", f"/r{day}", unusual=day == 5)
        for day, opened, resolved in [(1, 2, 1), (2, 3, 3), (3, 2, 2), (4, 2, 0), (5, 12, 4)]
    ]
    root = parsed(charts.trend_chart(points, title="Trend"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2 and lines[1].get("stroke-dasharray") == "5 3"
    titles = {link.get("href"): link.findtext(f"{SVG}title") for link in root.iter(f"{SVG}a")}
    assert titles["/o5"] == "5 Mar: 12 opened (unusual volume)"
    assert titles["/r5"] == "5 Mar: 4 of 12 resolved"
    assert titles["/o1"] == "1 Mar: 2 opened"
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("stroke") == charts.UNUSUAL_COLOUR]
    assert len(rings) == 2  # the bucket's and the legend's
    assert rings[1].get("cx") == "944.0"  # the last bucket, at the right end of the plot
    assert "Unusual volume" in "".join(root.itertext())


def test_the_axis_top_is_a_round_number_above_the_largest() -> None:
    assert charts.nice_ceiling(0) == (4, 1)
    assert charts.nice_ceiling(12) == (15, 5)
    assert charts.nice_ceiling(97) == (100, 50)
    top, step = charts.nice_ceiling(1234)
    assert top >= 1234 and top % step == 0


def test_the_heat_map_has_a_cell_per_hour_linked_when_it_has_incidents() -> None:
    # given 4 incidents on Monday 09:00 and 1 on Sunday 23:00
    counts = [[0] * 24 for _ in range(7)]
    counts[0][9], counts[6][23] = 4, 1
    # when
    svg = charts.heat_map(counts, title="Heat", href=lambda day, hour: f"/h{day * 24 + hour}")
    # then
    root = parsed(svg)
    links = {link.get("href"): link.findtext(f"{SVG}title") for link in root.iter(f"{SVG}a")}
    assert links == {
        "/h9": "Monday 09:00-09:59: 4 opened",
        "/h167": "Sunday 23:00-23:59: 1 opened",
    }
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("width") == "24"]
    assert len(cells) == 7 * 24
    assert charts.shade(4, 4) == charts.SHADES[5] and charts.shade(1, 4) == charts.SHADES[2]
    assert charts.shade(0, 4) == charts.SHADES[0]
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert "Wednesday 12:00-12:59: 0 opened" in titles


def test_long_labels_are_shortened_in_the_picture_but_whole_in_the_tooltip() -> None:
    name = "A very long configuration item name indeed"
    root = parsed(charts.bar_chart([Bar(name, 3, "/d")], title="CIs"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert charts.shorten(name) in texts and name not in texts
    assert next(root.iter(f"{SVG}a")).findtext(f"{SVG}title") == f"{name}: 3 incidents"
