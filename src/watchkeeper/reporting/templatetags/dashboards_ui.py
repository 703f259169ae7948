"""Template helpers of the dashboards: figures as people read them, and the role home cards'
figures (``reporting.home``)."""

from __future__ import annotations

from typing import Any

from django import template

from watchkeeper.reporting import home
from watchkeeper.reporting.measures import Measures

register = template.Library()
NONE = "-"


@register.filter
def hours(value: float | None) -> str:
    """ "12.5 h"; "-" when there is nothing to measure (never 0)."""
    return NONE if value is None else f"{value:,.1f} h"


@register.filter
def number(value: int | None) -> str:
    """ "24,914"."""
    return NONE if value is None else f"{value:,}"


@register.filter
def percent(value: float | None) -> str:
    """ "97.1 %"; "-" when there is nothing to measure."""
    return NONE if value is None else f"{value:,.1f} %"


@register.filter
def change_percent(value: float | None) -> str:
    """ "+20.0 %" / "-12.5 %"; "-" when the earlier period had none."""
    return NONE if value is None else f"{value:+,.1f} %"


@register.simple_tag
def my_figures(user: Any) -> home.MyFigures:
    return home.my_figures(user)


@register.simple_tag
def managed_group_figures(user: Any) -> list[home.Line]:
    return home.group_figures(user)


@register.simple_tag
def owned_service_figures(user: Any) -> dict[str, Any]:
    lines, total = home.service_figures(user)
    return {"lines": lines, "total": total, "backlog": home.backlog_of(lines)}


@register.filter
def mttr(measures: Measures) -> str:
    return hours(measures.mttr_hours)


@register.filter
def sla(measures: Measures) -> str:
    return percent(measures.sla_resolution_pct)


@register.filter
def subtract(value: int, other: int) -> int:
    """``total|subtract:met``: the ones missed."""
    return int(value) - int(other)
