"""The incident report's CSV: its sections hold the dashboard's figures for the records made
here, and text a spreadsheet would run as a formula is kept as text.

``make_week`` (incidents of two services in the week of 2026-03-02) is shared with the PDF,
view and schedule tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType

from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.models import Incident
from watchkeeper.reporting.dashboard import incident_dashboard
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.report_csv import incident_report, number, to_csv
from watchkeeper.sla import actions as sla_actions
from watchkeeper.sla.choices import ClockStatus
from watchkeeper.sla.models import SlaClock, SlaDefinition

pytestmark = pytest.mark.django_db
UTC = dt.UTC
WEEK = Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 9))


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def service(name: str, **fields: object) -> ConfigurationItem:
    return create_ci(name=name, ci_class=CiClass.BUSINESS_SERVICE, acting_user=None, **fields)


def sla_definition() -> SlaDefinition:
    calendar = sla_actions.save_calendar(
        None, acting_user=None, hours=[(d, dt.time(0), dt.time(23, 59)) for d in range(7)],
        name="Always", time_zone="UTC",
    )  # fmt: skip
    return sla_actions.save_definition(
        None, acting_user=None, name="Resolution", metric="resolution", calendar=calendar,
        targets={None: 240}, is_active=False,
    )  # fmt: skip


def resolve(incident: Incident, after_hours: float, *, sla_met: bool | None = None) -> None:
    """Resolve ``incident`` ``after_hours`` after it was opened, with its resolution SLA met
    or missed (a stopped clock, or one that breached)."""
    resolved = incident.created_at + dt.timedelta(hours=after_hours)
    Incident.objects.filter(pk=incident.pk).update(
        state=IncidentState.RESOLVED, resolved_at=resolved
    )
    if sla_met is None:
        return
    definition = SlaDefinition.objects.filter(name="Resolution").first() or sla_definition()
    SlaClock.objects.create(
        definition=definition,
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
        status=ClockStatus.MET,
        target_seconds=4 * 3600,
        started_at=incident.created_at,
        stopped_at=resolved,
        breached_at=None if sla_met else incident.created_at + dt.timedelta(hours=4),
        computed_at=resolved,
    )


@dataclass
class Week:
    email: ConfigurationItem
    payroll: ConfigurationItem
    incidents: list[Incident]

    @property
    def filters(self) -> Filters:
        return Filters(start=WEEK.start, end=WEEK.end, service=self.email.pk)


@pytest.fixture
def service_week(make_dated_incident: Callable[..., Incident]) -> Week:
    return make_week(make_dated_incident)


def make_week(make_dated_incident: Callable[..., Incident]) -> Week:
    """E-mail: three incidents in the week of 2026-03-02 (resolved in 2 h with the SLA met,
    resolved in 6 h with it missed, still open); Payroll: one resolved in 4 h."""
    email, payroll = service("E-mail"), service("Payroll")
    made = [
        make_dated_incident(at("2026-03-02", 9), service=email, priority=2),
        make_dated_incident(at("2026-03-03", 10), service=email, priority=3),
        make_dated_incident(at("2026-03-04", 11), service=email, priority=3),
        make_dated_incident(at("2026-03-05", 12), service=payroll, priority=4),
    ]
    resolve(made[0], 2, sla_met=True)
    resolve(made[1], 6, sla_met=False)
    resolve(made[3], 4)
    return Week(email, payroll, made)


def sections(content: bytes) -> dict[str, list[list[str]]]:
    """The CSV's sections by title: each a header row and its rows."""
    found: dict[str, list[list[str]]] = {}
    title = None
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
        if not row:
            title = None
        elif title is None:
            title = row[0]
            found[title] = []
        else:
            found[title].append(row)
    return found


def by_first(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows[1:]}


def test_the_csv_holds_the_dashboards_figures_for_the_records(service_week: Week) -> None:
    # given the E-mail service's week
    # when its report is written as CSV
    content = to_csv(incident_report(service_week.filters))
    # then it is UTF-8 with a byte order mark, in sections
    assert content.startswith(b"\xef\xbb\xbf")
    parts = sections(content)
    heading = by_first(parts["Incident report"])
    assert heading["Period start"] == ["2026-03-02"] and heading["Period end"] == ["2026-03-08"]
    assert heading["Service"] == ["E-mail"] and heading["Group"] == ["All groups"]
    # and the KPIs are the E-mail service's: 3 opened, 2 resolved in 4 h on average, SLA 1 of 2
    assert parts["KPIs"][0] == ["Key", "Label", "Value", "Unit", "Numerator", "Denominator"]
    kpis = {row[0]: row[1:] for row in parts["KPIs"][1:]}
    assert kpis["incidents_opened"] == ["Incidents opened", "3", "count", "", ""]
    assert kpis["mttr"] == ["Mean time to resolve", "4.00", "hours", "", ""]
    assert kpis["sla_resolution"] == ["Resolution SLA met", "50.00", "%", "1", "2"]
    assert kpis["backlog"][1] == "1"
    # and every KPI equals the dashboard's
    board = incident_dashboard(service_week.filters)
    assert [(k.key, number(k.value)) for k in board.kpis] == [
        (key, row[1]) for key, row in kpis.items()
    ]


def test_the_csv_has_the_trend_breakdowns_heat_map_and_backlog(service_week: Week) -> None:
    # given the whole week of both services
    parts = sections(to_csv(incident_report(WEEK)))
    # then the trend has one row per day, with each day's incidents
    trend = parts["Trend (per day)"]
    assert trend[0][:4] == ["Start", "End", "Opened", "Resolved"]
    assert [(row[0], row[2], row[3]) for row in trend[1:5]] == [
        ("2026-03-02", "1", "1"), ("2026-03-03", "1", "1"), ("2026-03-04", "1", "0"),
        ("2026-03-05", "1", "1"),
    ]  # fmt: skip
    assert len(trend) == 1 + 7
    # and the service breakdown has E-mail and Payroll with their figures
    services = {row[1]: row[2:] for row in parts["Breakdowns"][1:] if row[0] == "Service"}
    assert services["E-mail"][:4] == ["3", "2", "4.00", "50.00"]
    assert services["Payroll"][:3] == ["1", "1", "4.00"]
    priorities = {row[1]: row[2] for row in parts["Breakdowns"][1:] if row[0] == "Priority"}
    assert priorities == {"3 - Moderate": "2", "2 - High": "1", "4 - Low": "1"}
    # and the heat map counts Monday 09:00 once (UTC is the reporting time zone here)
    heat = by_first(parts["Heat map (incidents opened per weekday and hour)"])
    assert heat["Monday"][9] == "1" and heat["Tuesday"][10] == "1"
    assert sum(int(n) for counts in heat.values() for n in counts) == 4
    # and the backlog is the one open incident, older than 30 days by now
    backlog = by_first(parts["Backlog (open now, by age)"])
    assert backlog["> 30 days"] == ["1"] and backlog["Total"] == ["1"]
    # and the process KPIs and survey figures are there
    assert parts["Process KPIs (period and service)"][0][0] == "Key"
    assert by_first(parts["Satisfaction surveys"])["Surveys sent"] == ["0"]


def test_text_that_a_spreadsheet_would_run_is_kept_as_text(
    make_dated_incident: Callable[..., Incident],
) -> None:
    # given a service whose name starts like a formula
    evil = service('=HYPERLINK("http://evil.example","click")')
    make_dated_incident(at("2026-03-02"), service=evil)
    # when the report of that service is written
    parts = sections(to_csv(incident_report(Filters(WEEK.start, WEEK.end, service=evil.pk))))
    # then the name starts with an apostrophe wherever it appears
    assert by_first(parts["Incident report"])["Service"] == [f"'{evil.name}"]
    names = [row[1] for row in parts["Breakdowns"][1:] if row[0] == "Service"]
    assert names == [f"'{evil.name}"]
    # and numbers, negative ones too, stay numbers
    assert number(-12.5) == "-12.50" and number(3) == "3" and number(None) == ""
    assert number("@SUM(A1)") == "'@SUM(A1)" and number("-1+1") == "'-1+1"
