"""One KPI figure, as dashboards, reports and the API show it."""

from __future__ import annotations

from dataclasses import dataclass

UNIT_SUFFIX = {"hours": " h", "days": " d", "minutes": " min", "%": " %", "score": " / 5"}


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    #: ``None`` when there is nothing to measure (shown as "-", never as 0).
    value: float | None
    #: "hours", "days", "%", "count" or "score".
    unit: str
    numerator: int | None = None
    denominator: int | None = None
    #: The page listing the records behind the figure, when there is one.
    drill_url: str = ""
    #: Decimals shown (availability needs three: 99.98 % is not 100.0 %).
    decimals: int = 1

    @property
    def display(self) -> str:
        """The value as people read it: "12.5 h", "97.1 %", "1,234", "-"."""
        if self.value is None:
            return "-"
        if self.unit == "count":
            return f"{round(self.value):,}"
        suffix = UNIT_SUFFIX.get(self.unit, "")
        return f"{self.value:,.{self.decimals}f}{suffix}"
