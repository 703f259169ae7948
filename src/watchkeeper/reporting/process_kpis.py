"""The KPIs beyond incidents, over a period of days ``[start, end)`` in the reporting time zone
and optionally one service: availability, request fulfilment and approval times, time to root
cause, known-error reuse, knowledge deflection, event noise reduction, backup success and
restore-test coverage, access review completion and satisfaction. Each is a few aggregate
queries; each is defined in docs/kpis.md ("Other processes").

Two figures have no link to a service (requests and approvals): under a service filter they are
still computed over everything, and their label says "(all services)".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.process_kpis_base import Kpi, Window
from watchkeeper.reporting.process_kpis_ops import (
    backup_success_kpi,
    event_noise_kpi,
    restore_coverage_kpi,
)
from watchkeeper.reporting.process_kpis_service import (
    ServiceAvailability,
    availability_kpi,
    availability_rows,
    service_availability,
)
from watchkeeper.reporting.process_kpis_work import (
    access_review_kpi,
    approval_time_kpi,
    deflection_kpi,
    known_error_reuse_kpi,
    request_fulfilment_kpi,
    root_cause_time_kpi,
    satisfaction_kpis,
)

__all__ = ["KEYS", "SERVICE_WIDE", "Kpi", "ServiceAvailability", "Window", "availability_rows",
           "kpis_for", "process_kpis", "service_availability"]  # fmt: skip

#: The figures, in the order they are listed.
SOURCES: list[Callable[[Window], Kpi | list[Kpi]]] = [
    availability_kpi,
    request_fulfilment_kpi,
    approval_time_kpi,
    root_cause_time_kpi,
    known_error_reuse_kpi,
    deflection_kpi,
    event_noise_kpi,
    backup_success_kpi,
    restore_coverage_kpi,
    access_review_kpi,
    satisfaction_kpis,
]
KEYS = (
    "availability",
    "request_fulfilment_time",
    "approval_time",
    "problem_time_to_root_cause",
    "known_error_reuse",
    "knowledge_deflections",
    "event_noise_reduction",
    "backup_success",
    "restore_test_coverage",
    "access_review_completion",
    "satisfaction_score",
    "satisfied_share",
)
#: Figures that a service filter cannot narrow (nothing links them to a service).
SERVICE_WIDE = frozenset({"request_fulfilment_time", "approval_time"})


def process_kpis(
    start: dt.date,
    end: dt.date,
    service_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[Kpi]:
    """Every process KPI over [start, end) (optionally of one service), in ``KEYS`` order."""
    return kpis_for(Window(start, end, service_id, now))


def kpis_for(window: Window, *, refresh: bool = True) -> list[Kpi]:
    """Every process KPI of ``window``, in ``KEYS`` order (the incident facts, which known-error
    reuse reads, are brought up to date first unless the caller just did)."""
    if refresh:
        refresh_facts()
    figures: list[Kpi] = []
    for source in SOURCES:
        made = source(window)
        figures.extend(made if isinstance(made, list) else [made])
    if window.service_id is not None:
        figures = [
            replace(kpi, label=f"{kpi.label} (all services)") if kpi.key in SERVICE_WIDE else kpi
            for kpi in figures
        ]
    return figures
