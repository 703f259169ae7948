"""The KPI report checked against the real ServiceNow incident log (UCI; SOURCE.md in
/work/shared/data/uci-incident-event-log).

The whole log is imported with ``watchkeeper import servicenow-incidents``; the report's figures
for all time must equal figures this test computes from the CSV itself, with the csv module and
the definitions of docs/kpis.md ("Checking the figures against the UCI log") only: no Watchkeeper
code reads the file on this side."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.core.management import call_command

from watchkeeper.reporting.dashboard import incident_dashboard
from watchkeeper.reporting.filters import EPOCH, Filters

#: ../shared beside the checkout, else the machine's /work/shared (a clean clone may be elsewhere).
PLACES = [Path(__file__).resolve().parents[5] / "shared", Path("/work/shared")]
DATA = next((p for p in PLACES if p.is_dir()), PLACES[-1]) / "data/uci-incident-event-log"
ZIP = DATA / "incident_event_log.csv.zip"

pytestmark = [
    pytest.mark.django_db(transaction=False),
    pytest.mark.skipif(not ZIP.exists(), reason=f"the UCI incident log is not at {ZIP}"),
]


@dataclass
class Expected:
    count: int
    priorities: Counter[int]
    sla_total: int
    sla_met: int
    resolved: int
    resolve_seconds: int
    reassigned: int
    reassignments: int
    reopened: int


def timestamp(value: str) -> dt.datetime:
    """``d/m/yyyy HH:MM`` as the export writes it (no zone: the import reads it as UTC)."""
    return dt.datetime.strptime(value, "%d/%m/%Y %H:%M")


@cache
def expected_from_csv() -> Expected:
    rows_of: dict[str, list[dict[str, str]]] = {}
    with zipfile.ZipFile(ZIP) as archive, archive.open("incident_event_log.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")):
            if row["incident_state"] != "-100":
                rows_of.setdefault(row["number"], []).append(row)
    incidents = {
        number: rows
        for number, rows in rows_of.items()
        if all(row["caller_id"] not in ("", "?") for row in rows)
    }
    e = Expected(len(incidents), Counter(), 0, 0, 0, 0, 0, 0, 0)
    for rows in incidents.values():
        last = rows[-1]
        e.priorities[int(last["priority"].split(" - ")[0])] += 1
        if last["made_sla"] in ("true", "false"):
            e.sla_total += 1
            e.sla_met += last["made_sla"] == "true"
        reassignments = int(last["reassignment_count"])
        e.reassigned += reassignments > 0
        e.reassignments += reassignments
        e.reopened += int(last["reopen_count"]) > 0
        resolved_at = resolution_time(rows)
        if resolved_at is not None:
            e.resolved += 1
            opened = timestamp(rows[0]["opened_at"])
            e.resolve_seconds += round((resolved_at - opened).total_seconds())
    return e


def resolution_time(rows: list[dict[str, str]]) -> dt.datetime | None:
    """Resolved (last state Resolved or Closed): the last row's ``resolved_at``, else the time
    of the row where the last run of Resolved/Closed rows began."""
    done = ("Resolved", "Closed")
    if rows[-1]["incident_state"] not in done:
        return None
    if rows[-1]["resolved_at"] not in ("", "?"):
        return timestamp(rows[-1]["resolved_at"])
    start = len(rows) - 1
    while start > 0 and rows[start - 1]["incident_state"] in done:
        start -= 1
    return timestamp(rows[start]["sys_updated_at"])


def test_the_kpi_report_of_the_whole_uci_log_equals_the_figures_of_the_csv() -> None:
    # given the whole log imported by the command people use
    call_command("import", "servicenow-incidents", str(ZIP), "--no-progress", stdout=io.StringIO())
    expected = expected_from_csv()
    # when the report of all time is computed
    report = incident_dashboard(Filters(start=EPOCH, end=dt.date(2100, 1, 1)))
    totals = report.totals
    # then every figure equals the CSV's
    assert totals.opened == expected.count == 24_915
    by_priority = {row.key: row.measures.opened for row in report.breakdowns["priority"]}
    assert by_priority == dict(expected.priorities)
    assert (totals.sla_resolution_met, totals.sla_resolution_total) == (
        expected.sla_met,
        expected.sla_total,
    )
    assert (totals.resolved, totals.resolve_seconds) == (
        expected.resolved,
        expected.resolve_seconds,
    )
    assert totals.mttr_hours == pytest.approx(expected.resolve_seconds / expected.resolved / 3600)
    assert (totals.reassigned, totals.reassignments) == (
        expected.reassigned,
        expected.reassignments,
    )
    assert totals.reopened == expected.reopened
    kpis = {kpi.key: kpi.value for kpi in report.kpis}
    assert kpis["reopen_rate"] == pytest.approx(100 * expected.reopened / expected.count)
    assert kpis["reassignment_rate"] == pytest.approx(100 * expected.reassigned / expected.count)
    assert kpis["sla_resolution"] == pytest.approx(100 * expected.sla_met / expected.sla_total)
