"""SLA jobs: the per-minute sweep and the exact-time job for a threshold less than a minute away."""

from __future__ import annotations

from watchkeeper.core.jobs import job, periodic
from watchkeeper.sla import thresholds


@periodic("* * * * *")
def fire_sla_thresholds() -> int:
    """Every minute: act on the warnings and breaches that have come (an indexed query over
    pending clocks only, so closed records cost nothing)."""
    return thresholds.fire_due()


@job
def fire_clock_thresholds(clock_id: int) -> int:
    """At the exact time of one clock's next threshold (scheduled when it is near)."""
    return thresholds.fire_clock(clock_id)
