"""Server-side SVG charts for the dashboards: a trend line chart, horizontal bars and a 7x24
heat map.

Pure functions, no database and no JavaScript: each takes plain values and returns one
``<svg>`` element as a safe string. Every text in a chart may come from users (group, service
and category names), so every text and attribute is escaped before the result is marked safe.
Colours are presentation attributes (the content security policy forbids inline styles) and
meet 3:1 against white; lines differ by dash and marker too, never by colour alone.

Each mark (point, bar, cell) links to the drill-down page of the records it counts and has a
``<title>`` tooltip with the exact number. The links are left out of the tab order
(``tabindex="-1"``): the picture is one image for assistive technology (``role="img"``), and
the page puts the same figures and links in a data table beside each chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, GRID = "#1b1f24", "#4f5866", "#d5dae1"
OPENED_COLOUR = "#0a58a8"  # 7.1:1 on white
RESOLVED_COLOUR = "#a34e00"  # 5.4:1 on white, orange: told from blue with every colour vision
UNUSUAL_COLOUR = "#b3261e"
BAR_COLOUR = "#0a58a8"
#: Heat-map shades from "none" to "most": light to dark blue (the legend shows the scale).
SHADES = ("#f4f6f8", "#dbe9fb", "#a9c8ef", "#6fa0dd", "#2f6fb3", "#123f80")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LABEL_CHARS = 26


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, where it drills to and the value as people read it."""

    label: str
    value: float
    href: str = ""
    display: str = ""

    @property
    def shown(self) -> str:
        return self.display or f"{self.value:,.0f}"


@dataclass(frozen=True)
class TrendPoint:
    """One bucket of the trend: incidents opened in it and how many of those are resolved."""

    label: str
    opened: int
    resolved: int
    opened_href: str = ""
    resolved_href: str = ""
    unusual: bool = False


def _e(value: object) -> str:
    """Text or attribute value, escaped (quotes too)."""
    return escape(str(value), quote=True)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(href: str, tooltip: str, body: str) -> str:
    """A mark with its tooltip, wrapped in a drill-down link when it has one."""
    inner = f"<title>{_e(tooltip)}</title>{body}"
    if not href:
        return f"<g>{inner}</g>"
    return f'<a href="{_e(href)}" tabindex="-1" aria-label="{_e(tooltip)}">{inner}</a>'


def _svg(width: int, height: int, title: str, body: str, css_class: str) -> SafeString:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {_e(css_class)}" role="img" '
        f'aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_e(FONT)}" font-size="12">'
        f"<title>{_e(title)}</title>{body}</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - every text and attribute above is escaped


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and its step, in 1-2-5 steps (four gridlines)."""
    if value <= 0:
        return 4, 1
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1)
    return step * math.ceil(value / step), step


def _y_axis(top: float, step: float, left: int, right: int, y_of: Callable[[float], float]) -> str:
    parts = []
    tick = 0.0
    while tick <= top + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{tick:,.0f}</text>"
        )
        tick += step
    return "".join(parts)


def _legend(items: Sequence[tuple[str, str]], y: int) -> str:
    """Legend entries (SVG mark, label) laid out left to right."""
    parts, x = [], 8
    for mark, label in items:
        parts.append(
            f'<g transform="translate({x},{y})">{mark}'
            f'<text x="26" y="4" fill="{INK}">{_e(label)}</text></g>'
        )
        x += 40 + 7 * len(label)
    return "".join(parts)


LEGEND_OPENED = f'<line x1="0" y1="0" x2="20" y2="0" stroke="{OPENED_COLOUR}" stroke-width="2"/>'
LEGEND_RESOLVED = (
    f'<line x1="0" y1="0" x2="20" y2="0" stroke="{RESOLVED_COLOUR}" stroke-width="2" '
    'stroke-dasharray="5 3"/>'
)
LEGEND_UNUSUAL = (
    f'<circle cx="10" cy="0" r="6" fill="none" stroke="{UNUSUAL_COLOUR}" stroke-width="2"/>'
)


def trend_chart(
    points: Sequence[TrendPoint], *, title: str, width: int = 960, height: int = 300
) -> SafeString:
    """Opened per bucket (solid blue line, round points) and, of those, resolved (dashed
    orange line, square points); unusual buckets are ringed in red with a "!" above."""
    left, right, top_margin, bottom = 48, width - 16, 34, height - 44
    ceiling, step = nice_ceiling(max((p.opened for p in points), default=0))

    def x_of(index: int) -> float:
        if len(points) == 1:
            return (left + right) / 2
        return left + index * (right - left) / (len(points) - 1)

    def y_of(value: float) -> float:
        return bottom - value * (bottom - top_margin) / ceiling

    body = [_y_axis(ceiling, step, left, right, y_of)]
    legend = [(LEGEND_OPENED, "Opened"), (LEGEND_RESOLVED, "Of those, resolved")]
    if any(p.unusual for p in points):
        legend.append((LEGEND_UNUSUAL, "Unusual volume"))
    body.append(_legend(legend, 12))
    for name, colour, dash in (("opened", OPENED_COLOUR, ""), ("resolved", RESOLVED_COLOUR, "5 3")):
        coords = " ".join(
            f"{x_of(i):.1f},{y_of(getattr(p, name)):.1f}" for i, p in enumerate(points)
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{dash_attr}/>"
        )
    every = max(1, math.ceil(len(points) / 10))
    for index, point in enumerate(points):
        body.append(_trend_marks(point, x_of(index), y_of))
        if index % every == 0:
            # the last label ends at its point, so it is not cut off at the chart's edge
            anchor = "end" if index == len(points) - 1 and index else "middle"
            body.append(
                f'<text x="{x_of(index):.1f}" y="{bottom + 18}" text-anchor="{anchor}" '
                f'fill="{MUTED}">{_e(point.label)}</text>'
            )
    return _svg(width, height, title, "".join(body), "chart--trend")


def _trend_marks(point: TrendPoint, x: float, y_of: Callable[[float], float]) -> str:
    y_open, y_done = y_of(point.opened), y_of(point.resolved)
    unusual = " (unusual volume)" if point.unusual else ""
    marks = []
    if point.unusual:
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y_open:.1f}" r="9" fill="none" '
            f'stroke="{UNUSUAL_COLOUR}" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y_open - 13:.1f}" text-anchor="middle" font-weight="700" '
            f'fill="{UNUSUAL_COLOUR}">!</text>'
        )
    opened = (
        f'<circle cx="{x:.1f}" cy="{y_open:.1f}" r="8" fill="transparent"/>'
        f'<circle cx="{x:.1f}" cy="{y_open:.1f}" r="3.5" fill="{OPENED_COLOUR}"/>'
    )
    marks.append(
        _link(point.opened_href, f"{point.label}: {point.opened:,} opened{unusual}", opened)
    )
    resolved = (
        f'<rect x="{x - 7:.1f}" y="{y_done - 7:.1f}" width="14" height="14" fill="transparent"/>'
        f'<rect x="{x - 3:.1f}" y="{y_done - 3:.1f}" width="6" height="6" '
        f'fill="{RESOLVED_COLOUR}"/>'
    )
    tooltip = f"{point.label}: {point.resolved:,} of {point.opened:,} resolved"
    marks.append(_link(point.resolved_href, tooltip, resolved))
    return "".join(marks)


def bar_chart(
    bars: Sequence[Bar], *, title: str, unit: str = "incidents", width: int = 560
) -> SafeString:
    """Horizontal bars, largest value sets the scale; each row (label, bar, value) is one link."""
    label_width, row, bar_height, top = 180, 28, 18, 8
    plot = width - label_width - 64
    largest = max((bar.value for bar in bars), default=0) or 1
    rows = []
    for index, bar in enumerate(bars):
        y = top + index * row
        length = max(bar.value / largest * plot, 1 if bar.value else 0)
        body = (
            f'<rect x="0" y="{y}" width="{width}" height="{row}" fill="transparent"/>'
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{INK}">'
            f"{_e(shorten(bar.label))}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 18}" fill="{INK}">'
            f"{_e(bar.shown)}</text>"
        )
        rows.append(_link(bar.href, f"{bar.label}: {bar.shown} {unit}", body))
    height = top * 2 + max(len(bars), 1) * row
    return _svg(width, height, title, "".join(rows), "chart--bars")


def shade(count: int, largest: int) -> str:
    """The cell's colour: none is the lightest, the largest count the darkest of five."""
    if count <= 0 or largest <= 0:
        return SHADES[0]
    return SHADES[min(5, math.ceil(5 * count / largest))]


def heat_map(
    counts: Sequence[Sequence[int]], *, title: str, href: Callable[[int, int], str]
) -> SafeString:
    """Weekdays (rows, Monday first) by hours (columns); ``href(day, hour)`` drills down."""
    cell, gap, left, top = 24, 2, 84, 22
    largest = max((max(row, default=0) for row in counts), default=0)
    parts = []
    for hour in range(0, 24, 3):
        x = left + hour * (cell + gap) + cell / 2
        parts.append(
            f'<text x="{x:.0f}" y="{top - 8}" text-anchor="middle" fill="{MUTED}">{hour:02d}</text>'
        )
    for day, row in enumerate(counts):
        y = top + day * (cell + gap)
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{DAYS[day]}</text>'
        )
        for hour, count in enumerate(row):
            x = left + hour * (cell + gap)
            rect = (
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="2" '
                f'fill="{shade(count, largest)}" stroke="{GRID}" stroke-width="0.5"/>'
            )
            tooltip = f"{DAYS[day]} {hour:02d}:00-{hour:02d}:59: {count:,} opened"
            parts.append(_link(href(day, hour) if count else "", tooltip, rect))
    legend_y = top + 7 * (cell + gap) + 10
    parts.append(f'<text x="{left}" y="{legend_y + 12}" fill="{MUTED}">Fewer</text>')
    for index, colour in enumerate(SHADES):
        x = left + 44 + index * 20
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="16" height="16" fill="{colour}" stroke="{GRID}"/>'
        )
    parts.append(
        f'<text x="{left + 44 + len(SHADES) * 20 + 4}" y="{legend_y + 12}" fill="{MUTED}">'
        "More</text>"
    )
    width, height = left + 24 * (cell + gap) + 8, legend_y + 24
    return _svg(width, height, title, "".join(parts), "chart--heat")
