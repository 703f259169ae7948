"""The incident KPI engine: facts from incidents, the cube-and-edges split, the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting import incident_kpis as kpis
from watchkeeper.reporting.cubes import MEASURES
from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.measures import Measures
from watchkeeper.reporting.models import IncidentFact, IncidentMonthCube

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_a_resolved_incident_becomes_a_fact_with_its_times(
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given an incident opened on a Tuesday at 09:00, answered after 30 min, resolved after 5 h
    incident = make_dated_incident(at("2026-03-03"), priority=2)
    Incident.objects.filter(pk=incident.pk).update(
        state=IncidentState.RESOLVED,
        first_response_at=at("2026-03-03") + dt.timedelta(minutes=30),
        resolved_at=at("2026-03-03", 14),
        reassignment_count=2,
    )
    # when
    refresh_facts(full=True)
    # then
    fact = IncidentFact.objects.get(incident=incident)
    assert (fact.opened_day, fact.hour_of_week) == (dt.date(2026, 3, 3), 24 + 9)
    assert (fact.ack_seconds, fact.resolve_seconds) == (1800, 5 * 3600)
    assert fact.is_open is False and fact.first_level is False
    assert fact.reassignment_count == 2


def test_canceled_incidents_have_no_fact(make_dated_incident: Callable[..., Incident]) -> None:
    incident = make_dated_incident(at("2026-03-03"))
    Incident.objects.filter(pk=incident.pk).update(state=IncidentState.CANCELED)
    refresh_facts(full=True)
    assert not IncidentFact.objects.exists()


def test_an_incremental_refresh_picks_up_a_change(
    make_dated_incident: Callable[..., Incident],
) -> None:
    incident = make_dated_incident(at("2026-03-03"))
    refresh_facts(full=True)
    assert IncidentFact.objects.get().is_open is True
    # when the incident is resolved later (updated_at moves)
    incident.state = IncidentState.RESOLVED
    incident.resolved_at = at("2026-03-04")
    incident.save()
    refresh_facts()
    # then
    fact = IncidentFact.objects.get()
    assert fact.is_open is False and fact.resolve_seconds == 24 * 3600
    assert IncidentMonthCube.objects.get().resolved == 1


def test_figures_read_from_cubes_and_edges_equal_figures_read_from_facts_alone(
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given incidents spread over four months, some resolved
    days = ["2026-01-20", "2026-02-01", "2026-02-14", "2026-02-28", "2026-03-10", "2026-04-02"]
    for index, day in enumerate(days * 2):
        incident = make_dated_incident(at(day, index % 24), priority=1 + index % 4)
        if index % 3:
            Incident.objects.filter(pk=incident.pk).update(
                state=IncidentState.RESOLVED, resolved_at=at(day, 23), reopen_count=index % 2
            )
    refresh_facts(full=True)
    filters = Filters(start=dt.date(2026, 1, 25), end=dt.date(2026, 4, 5))
    # when
    split = kpis.totals(filters)
    # then the same sums come from the facts alone
    direct = Measures().add(kpis.facts(filters).aggregate(**MEASURES))
    assert [s.whole_months for s in kpis.spans(filters.start, filters.end)] == [False, True, False]
    assert split == direct
    assert split.opened == 10
    assert split.resolved == 8  # every index but 0, 3, 6, 9 (0 and 6 are before the period)


def test_breakdown_by_priority_sums_to_the_total(
    make_dated_incident: Callable[..., Incident],
) -> None:
    for index in range(9):
        make_dated_incident(at(f"2026-02-{index + 1:02d}"), priority=1 + index % 3)
    refresh_facts(full=True)
    filters = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 1))
    rows = kpis.breakdown(filters, "priority")
    assert [(key, m.opened) for key, m in rows] == [(1, 3), (2, 3), (3, 3)]


def test_trend_has_every_day_and_flags_an_unusual_one(
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given one incident a day for three weeks, then 12 on one day
    start = dt.date(2026, 3, 2)
    for offset in range(21):
        make_dated_incident(at((start + dt.timedelta(days=offset)).isoformat()))
    for _ in range(11):
        make_dated_incident(at("2026-03-20", 15))
    refresh_facts(full=True)
    # when
    buckets = kpis.trend(Filters(start=start, end=start + dt.timedelta(days=21)))
    # then
    assert len(buckets) == 21 and sum(b.measures.opened for b in buckets) == 32
    assert [b.start for b in buckets if b.unusual] == [dt.date(2026, 3, 20)]


def test_heat_map_counts_by_weekday_and_hour(make_dated_incident: Callable[..., Incident]) -> None:
    make_dated_incident(at("2026-03-01", 8))  # a Sunday
    make_dated_incident(at("2026-03-02", 8))  # a Monday
    make_dated_incident(at("2026-03-09", 8))  # a Monday
    refresh_facts(full=True)
    grid = kpis.heat_map(Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 4, 1)))
    assert grid[0][8] == 2 and grid[6][8] == 1 and sum(map(sum, grid)) == 3


def test_an_imported_incident_counts_servicenows_last_made_sla_verdict(
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given an incident whose history records made_sla true, then false
    from django.db import transaction

    from watchkeeper.core.choices import Channel
    from watchkeeper.core.history import record_change

    incident = make_dated_incident(at("2026-03-03"))
    with transaction.atomic():
        record_change(
            incident, action="updated", channel=Channel.IMPORT, changes={"made_sla": (None, "true")}
        )
        record_change(
            incident,
            action="updated",
            channel=Channel.IMPORT,
            changes={"made_sla": ("true", "false")},
        )
    # when
    refresh_facts(full=True)
    # then the last verdict counts
    assert IncidentFact.objects.get().sla_resolution_met is False
