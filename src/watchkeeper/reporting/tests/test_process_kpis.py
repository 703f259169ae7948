"""The process KPIs over March 2026 (``reporting.process_kpis``): availability, requests,
approvals, problems, known errors and satisfaction, each from records made by the apps' own
actions (timestamps moved into the period with ``QuerySet.update``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass, CiStatus
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.sources import create_source
from watchkeeper.incidents.actions import cancel, create_incident, declare_major, resolve
from watchkeeper.incidents.models import Incident
from watchkeeper.problems.actions import create_problem, mark_known_error, update_problem
from watchkeeper.problems.links import link_incident
from watchkeeper.problems.models import Problem
from watchkeeper.reporting.models import Survey
from watchkeeper.reporting.process_kpis import KEYS, Kpi, process_kpis, service_availability
from watchkeeper.requests import actions as requests
from watchkeeper.requests.models import (
    Approval,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    ServiceRequest,
)

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
NOW = dt.datetime(2026, 4, 15, tzinfo=dt.UTC)
MARCH_MINUTES = 31 * 24 * 60


def at(day: int, hour: float = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


def figures(service_id: int | None = None) -> dict[str, Kpi]:
    return {kpi.key: kpi for kpi in process_kpis(START, END, service_id, now=NOW)}


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "agent": make_user("alex", Role.AGENT),
        "manager": make_user("morgan", Role.INCIDENT_MANAGER),
        "rita": make_user("rita", manager=make_user("bob")),
    }


def service(name: str, **fields: Any) -> Any:
    return create_ci(name=name, ci_class=CiClass.BUSINESS_SERVICE, acting_user=None, **fields)


def incident(people: dict[str, Any], text: str = "Mail is down", **fields: Any) -> Incident:
    return create_incident(
        caller=people["rita"],
        short_description=text,
        acting_user=people["agent"],
        channel=Channel.PHONE,
        **fields,
    )


def major(people: dict[str, Any], svc: Any, began: dt.datetime, ended: dt.datetime | None) -> Any:
    """A major incident of ``svc`` from ``began`` to ``ended`` (None: still open)."""
    found = incident(people, service=svc)
    declare_major(
        found, reason="All down", manager=people["manager"], acting_user=people["manager"]
    )
    if ended is not None:
        resolve(found, code="solved_permanently", notes="Fixed", acting_user=people["agent"])
    Incident.objects.filter(pk=found.pk).update(created_at=began, resolved_at=ended)
    return found


def test_an_empty_period_measures_nothing() -> None:
    # given no records at all
    # when the KPIs of March are computed
    kpis = process_kpis(START, END, now=NOW)
    # then every figure is there, in the fixed order, and none has a value
    assert [kpi.key for kpi in kpis] == list(KEYS)
    assert [kpi.value for kpi in kpis] == [None] * len(KEYS)


def test_availability_merges_major_incidents_and_critical_alerts(people: dict[str, Any]) -> None:
    # given the shop down by a major incident (10th-12th) and a critical alert on its own item
    # overlapping it (11th noon to 13th 02:24): 74.4 hours, 10 % of March
    shop = service("Shop")
    major(people, shop, at(10), at(12))
    source, _token = create_source(name="prometheus", acting_user=None)
    ingest(source, [Incoming("Shop", "http", "critical", occurred_at=at(11, 12))])
    ingest(source, [Incoming("Shop", "http", "ok", occurred_at=at(13, 2.4))])
    # and what does not count: a canceled major incident, a minor alert, another service's alert
    canceled = major(people, shop, at(20), None)
    cancel(canceled, reason="Duplicate", acting_user=people["agent"])
    ingest(source, [Incoming("Shop", "latency", "minor", occurred_at=at(25))])
    # and mail, down from the 31st noon and still down: 12 hours of March
    mail = service("Mail")
    major(people, mail, at(31, 12), None)
    # and a wiki in service with no outage, a retired and a planned service
    service("Wiki")
    service("Old intranet", status=CiStatus.RETIRED)
    service("New portal", status=CiStatus.PLANNED)
    # when availability is computed
    rows = service_availability(START, END, now=NOW)
    # then each service in use is measured, outages merged and clipped to the period
    assert [(r.name, r.outage_minutes, r.availability) for r in rows] == [
        ("Mail", 720.0, round(100 * (1 - 720 / MARCH_MINUTES), 3)),
        ("Shop", 4464.0, 90.0),
        ("Wiki", 0.0, 100.0),
    ]
    assert Alert.objects.filter(configuration_item=shop).count() == 2
    headline = figures()["availability"]
    assert headline.value == round((98.387 + 90.0 + 100.0) / 3, 3)
    assert (headline.unit, headline.denominator) == ("%", 3)
    # and one service alone
    [shop_row] = service_availability(START, END, shop.pk, now=NOW)
    assert (shop_row.outage_minutes, shop_row.availability) == (4464.0, 90.0)
    alone = figures(shop.pk)["availability"]
    assert (alone.value, alone.drill_url) == (90.0, f"/cmdb/{shop.number}/")


def test_availability_of_a_period_not_begun_is_unknown(people: dict[str, Any]) -> None:
    service("Shop")
    [row] = service_availability(dt.date(2026, 5, 1), dt.date(2026, 6, 1), now=NOW)
    assert (row.outage_minutes, row.availability) == (0.0, None)


def catalog_item(name: str, **fields: Any) -> CatalogItem:
    category, _ = CatalogCategory.objects.get_or_create(name="Hardware")
    return CatalogItem.objects.create(category=category, name=name, summary=name, **fields)


def order(people: dict[str, Any], item: CatalogItem) -> ServiceRequest:
    return requests.order(acting_user=people["rita"], lines=[requests.Line(item, {})])


def test_request_fulfilment_time_is_the_mean_of_requests_closed_complete(
    people: dict[str, Any],
) -> None:
    # given two requests delivered in March, after 10 and 30 hours
    laptop = catalog_item("Laptop")
    for hours, day in ((10, 5), (30, 20)):
        request = order(people, laptop)
        requests.complete_item(request, 1, acting_user=people["agent"])
        ServiceRequest.objects.filter(pk=request.pk).update(
            created_at=at(day), closed_at=at(day, hours)
        )
    # and what does not count: one cancelled in March, one delivered in February, one open
    cancelled = order(people, laptop)
    requests.cancel(cancelled, acting_user=people["rita"], reason="Not needed")
    ServiceRequest.objects.filter(pk=cancelled.pk).update(created_at=at(1), closed_at=at(9))
    early = order(people, laptop)
    requests.complete_item(early, 1, acting_user=people["agent"])
    ServiceRequest.objects.filter(pk=early.pk).update(
        created_at=at(1, month=2), closed_at=at(28, month=2)
    )
    order(people, laptop)
    # when the KPIs are computed
    kpi = figures()["request_fulfilment_time"]
    # then the mean is of the two delivered in March
    assert (kpi.value, kpi.unit, kpi.denominator) == (20.0, "hours", 2)


def test_approval_time_is_the_mean_of_decisions_made_in_the_period(
    people: dict[str, Any],
) -> None:
    # given an item the requester's manager approves
    vpn = catalog_item("VPN access")
    ApprovalStep.objects.create(item=vpn, level=1, approver_kind="manager")
    boss = people["rita"].manager
    decided = []
    for approve in (True, False, True):
        request = order(people, vpn)
        approval = Approval.objects.get(requested_item__request=request)
        requests.decide_approval(approval, acting_user=boss, approve=approve, comment="No")
        decided.append(approval.pk)
    # asked on the 2nd; decided after 4 hours, 2 hours, and one in April
    Approval.objects.filter(pk__in=decided).update(created_at=at(2))
    Approval.objects.filter(pk=decided[0]).update(decided_at=at(2, 4))
    Approval.objects.filter(pk=decided[1]).update(decided_at=at(2, 2))
    Approval.objects.filter(pk=decided[2]).update(decided_at=at(2, month=4))
    # and one still waiting
    order(people, vpn)
    # when the KPIs are computed
    kpi = figures()["approval_time"]
    # then the approval and the rejection of March count
    assert (kpi.value, kpi.unit, kpi.denominator) == (3.0, "hours", 2)


def root_cause_entry(problem: Problem) -> Any:
    return history_of(problem).filter(changes__has_key="root_cause")


def test_time_to_root_cause_runs_to_the_first_recorded_root_cause(
    people: dict[str, Any],
) -> None:
    # given a problem opened on the 1st whose root cause was recorded on the 4th, then edited
    agent = people["agent"]
    first = create_problem(acting_user=agent, short_description="Disk fills")
    update_problem(first, acting_user=agent, root_cause="Logs are not rotated")
    root_cause_entry(first).update(at=at(4))
    update_problem(first, acting_user=agent, root_cause="Logs are never rotated")
    root_cause_entry(first).filter(at__gt=at(4)).update(at=at(20))
    # and one opened on the 10th, root cause on the 12th at noon
    second = create_problem(acting_user=agent, short_description="VPN drops")
    update_problem(second, acting_user=agent, root_cause="DPD timeout")
    root_cause_entry(second).update(at=at(12, 12))
    # and one whose root cause came in February, one without any
    early = create_problem(acting_user=agent, short_description="Printer jams")
    update_problem(early, acting_user=agent, root_cause="Worn roller")
    root_cause_entry(early).update(at=at(3, month=2))
    create_problem(acting_user=agent, short_description="Slow login")
    Problem.objects.update(created_at=at(1, month=2))
    Problem.objects.filter(pk=first.pk).update(created_at=at(1))
    Problem.objects.filter(pk=second.pk).update(created_at=at(10))
    # when the KPIs are computed
    kpi = figures()["problem_time_to_root_cause"]
    # then (3 days + 2.5 days) / 2
    assert (kpi.value, kpi.unit, kpi.denominator) == (2.75, "days", 2)


def test_known_error_reuse_counts_incidents_linked_to_an_existing_known_error(
    people: dict[str, Any],
) -> None:
    # given a known error on the mail service
    agent, mail = people["agent"], service("Mail")
    known = create_problem(acting_user=agent, short_description="Mail queue stuck", service=mail)
    update_problem(known, acting_user=agent, root_cause="Full disk", workaround="Restart")
    mark_known_error(known, agent)
    # and a matching incident linked to it automatically
    reused = incident(people, "Mail queue stuck again", service=mail)
    assert reused.problem_link.problem == known
    # and an incident linked to a problem before that problem became a known error
    other = create_problem(acting_user=agent, short_description="Printer jams")
    linked_early = incident(people, "Printer jams on floor 3")
    link_incident(other, linked_early, acting_user=agent)
    update_problem(other, acting_user=agent, root_cause="Roller", workaround="Clean it")
    mark_known_error(other, agent)
    # and one incident without a problem, a canceled one, and one reused in April
    plain = incident(people, "Screen flickers")
    canceled = incident(people, "Mail queue stuck, sorry: wrong number", service=mail)
    cancel(canceled, reason="Logged by mistake", acting_user=agent)
    april = incident(people, "Mail queue stuck once more", service=mail)
    march = [reused.pk, linked_early.pk, plain.pk, canceled.pk]
    Incident.objects.filter(pk__in=march).update(created_at=at(10))
    Incident.objects.filter(pk=april.pk).update(created_at=at(2, month=4))
    # when the KPIs are computed
    kpi = figures()["known_error_reuse"]
    # then one of the three incidents of March reused a known error
    assert (kpi.value, kpi.numerator, kpi.denominator) == (33.3, 1, 3)
    assert kpi.drill_url == "/desk/problems/?known_error=yes"
    # and on the mail service alone, the one incident of March there
    assert figures(mail.pk)["known_error_reuse"].value == 100.0


def survey(people: dict[str, Any], score: int | None, answered: dt.datetime, **fields: Any) -> Any:
    record = incident(people, **fields)
    Survey.objects.create(
        incident=record,
        recipient=people["rita"],
        sent_at=answered - dt.timedelta(days=1),
        answered_at=answered if score else None,
        score=score,
    )
    return record


def test_satisfaction_is_the_mean_score_and_the_share_satisfied(people: dict[str, Any]) -> None:
    # given four answers in March (5, 4, 2, 3), one in April, one never answered
    mail = service("Mail")
    for score in (5, 4, 2):
        survey(people, score, at(10))
    survey(people, 3, at(20), service=mail)
    survey(people, 1, at(2, month=4))
    survey(people, None, at(15))
    # when the KPIs are computed
    kpis = figures()
    # then the mean score and the share of 4 and 5
    score, share = kpis["satisfaction_score"], kpis["satisfied_share"]
    assert (score.value, score.unit, score.denominator) == (3.5, "score", 4)
    assert (share.value, share.numerator, share.denominator) == (50.0, 2, 4)
    # and for the mail service only its incidents' surveys
    assert figures(mail.pk)["satisfaction_score"].value == 3.0


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_period_is_in_days_of_the_reporting_time_zone(people: dict[str, Any]) -> None:
    # given answers at 23:30 UTC on the last day of February (March 1st in Berlin) and of March
    survey(people, 5, dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC))
    survey(people, 1, dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    # when the KPIs of March are computed
    kpi = figures()["satisfaction_score"]
    # then March is Berlin's: the first answer is in it, the second is in April
    assert (kpi.value, kpi.denominator) == (5.0, 1)
