"""The incident measures of a set of incidents (sums and counts) and the KPIs they give.

Every incident KPI is a ratio of two of these sums (docs/kpis.md), so the same figure comes out
whether the sums were read from the facts or from the monthly cubes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass
class Measures:
    opened: int = 0
    open_now: int = 0
    major: int = 0
    resolved: int = 0
    resolve_seconds: int = 0
    acknowledged: int = 0
    ack_seconds: int = 0
    first_contact: int = 0
    first_level: int = 0
    reopened: int = 0
    reassigned: int = 0
    reassignments: int = 0
    sla_response_total: int = 0
    sla_response_met: int = 0
    sla_resolution_total: int = 0
    sla_resolution_met: int = 0
    surveys_answered: int = 0
    satisfaction_sum: int = 0

    def add(self, row: dict[str, Any]) -> Measures:
        """Add the sums of one aggregate row (missing names count as zero)."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + int(row.get(field.name) or 0))
        return self

    @property
    def mtta_hours(self) -> float | None:
        return _ratio(self.ack_seconds, self.acknowledged, 3600)

    @property
    def mttr_hours(self) -> float | None:
        return _ratio(self.resolve_seconds, self.resolved, 3600)

    @property
    def first_contact_pct(self) -> float | None:
        return _percent(self.first_contact, self.resolved)

    @property
    def first_level_pct(self) -> float | None:
        return _percent(self.first_level, self.resolved)

    @property
    def reopen_pct(self) -> float | None:
        return _percent(self.reopened, self.opened)

    @property
    def reassignment_pct(self) -> float | None:
        return _percent(self.reassigned, self.opened)

    @property
    def reassignments_mean(self) -> float | None:
        return _ratio(self.reassignments, self.opened)

    @property
    def sla_response_pct(self) -> float | None:
        return _percent(self.sla_response_met, self.sla_response_total)

    @property
    def sla_resolution_pct(self) -> float | None:
        return _percent(self.sla_resolution_met, self.sla_resolution_total)

    @property
    def satisfaction_mean(self) -> float | None:
        return _ratio(self.satisfaction_sum, self.surveys_answered)


def _ratio(numerator: int, denominator: int, scale: float = 1) -> float | None:
    return numerator / denominator / scale if denominator else None


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None
