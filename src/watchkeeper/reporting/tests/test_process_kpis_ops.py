"""The process KPIs over March 2026 of operations and governance: knowledge deflection, event
noise, backups, restore tests and access reviews, and what a service filter narrows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from watchkeeper.access import reviews
from watchkeeper.access.actions import grant
from watchkeeper.access.models import AccessReview, AccessRole
from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import add_relation, create_ci
from watchkeeper.cmdb.backups import report_backup_run, sweep_missed_backups
from watchkeeper.cmdb.backups.restore import record_restore_test
from watchkeeper.cmdb.choices import CiClass, CiStatus
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.sources import create_source
from watchkeeper.knowledge import deflection
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import ArticleUse
from watchkeeper.knowledge.tests.test_suggest import publish
from watchkeeper.reporting.process_kpis import Kpi, process_kpis

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
NOW = dt.datetime(2026, 4, 15, tzinfo=dt.UTC)


def at(day: int, hour: float = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


def figures(service_id: int | None = None) -> dict[str, Kpi]:
    return {kpi.key: kpi for kpi in process_kpis(START, END, service_id, now=NOW)}


def ci(name: str, ci_class: str = CiClass.SERVER, **fields: Any) -> Any:
    if ci_class == CiClass.BACKUP_JOB:
        fields.setdefault("attributes", {"schedule": "0 2 * * *"})
    return create_ci(name=name, ci_class=ci_class, acting_user=None, **fields)


@pytest.fixture
def shop() -> dict[str, Any]:
    """The shop service, resting on its database and its ERP; a web server apart from it."""
    items = {
        "shop": ci("Shop", CiClass.BUSINESS_SERVICE),
        "db01": ci("db01", CiClass.DATABASE),
        "erp": ci("ERP", CiClass.APPLICATION),
        "web01": ci("web01"),
    }
    add_relation(items["shop"], "depends_on", items["db01"], acting_user=None)
    add_relation(items["shop"], "depends_on", items["erp"], acting_user=None)
    return items


def test_deflections_follow_the_knowledge_definition(make_user: Any, shop: dict) -> None:
    # given three drafts in March: solved by the VPN article, opened the shop's article and
    # left, opened the VPN article and reported an incident anyway
    rita, kim = make_user("rita"), make_user("kim", Role.AGENT)
    vpn = publish(kim, "Connect to the VPN", "Start AnyConnect.")
    orders = publish(kim, "Track an order", "Open the shop.")
    orders.services.set([shop["shop"]])
    solved, left, reported = (deflection.new_draft() for _ in range(3))
    with time_machine.travel(at(10), tick=False):
        deflection.record_suggested(solved, rita, [vpn.pk, orders.pk])
        deflection.record_use(solved, rita, vpn, UseKind.SOLVED)
        deflection.record_use(left, rita, orders, UseKind.OPENED)
        deflection.record_use(reported, rita, vpn, UseKind.OPENED)
    ArticleUse.objects.filter(draft=reported).update(followed_by_incident=True)
    # when the KPIs are computed
    kpi = figures()["knowledge_deflections"]
    # then two drafts were deflections
    assert (kpi.value, kpi.unit, kpi.numerator) == (2.0, "count", 2)
    # and of the shop's articles, one
    assert figures(shop["shop"].pk)["knowledge_deflections"].value == 1.0
    # and without any article read in a period there is nothing to measure
    assert process_kpis(END, dt.date(2026, 5, 1), now=NOW)[5].value is None


def test_event_noise_reduction_compares_alerts_opened_with_events_received(
    shop: dict,
) -> None:
    # given, in March, 4 events on web01's disk (3 critical, the ok), 3 warnings on db01 and an
    # ok nobody raised: 8 events, 2 alerts
    source, _token = create_source(name="prometheus", acting_user=None)

    def send(resource: str, check: str, severity: str, moment: dt.datetime) -> None:
        event = Incoming(resource, check, severity, occurred_at=moment, received_at=moment)
        ingest(source, [event])

    for minute, severity in enumerate(("critical", "critical", "critical", "ok")):
        send("web01", "disk", severity, at(10, minute / 60))
    for minute in range(3):
        send("db01", "cpu", "warning", at(11, minute / 60))
    send("web02", "ping", "ok", at(12))
    # and an alert with its event in April
    send("db01", "disk", "major", at(2, month=4))
    for alert in Alert.objects.all():
        Alert.objects.filter(pk=alert.pk).update(created_at=alert.first_seen)
    Alert.objects.filter(check_name="disk", resource="db01").update(created_at=at(2, month=4))
    # when the KPIs are computed
    kpi = figures()["event_noise_reduction"]
    # then 1 - 2 / 8
    assert (kpi.value, kpi.numerator, kpi.denominator) == (75.0, 2, 8)
    assert kpi.drill_url == "/events/"
    # and for the shop, db01's: 1 - 1 / 3
    assert figures(shop["shop"].pk)["event_noise_reduction"].value == 66.7


def test_backup_success_counts_every_run_that_finished_in_the_period(shop: dict) -> None:
    # given the shop's database backed up nightly, and the web server by another job
    db_job, web_job = ci("db-nightly", CiClass.BACKUP_JOB), ci("web-nightly", CiClass.BACKUP_JOB)
    add_relation(shop["db01"], "backed_up_by", db_job, acting_user=None)
    add_relation(shop["web01"], "backed_up_by", web_job, acting_user=None)
    # and in March: db 3 successes and 1 failure, web 1 success and 1 missed; a failure in April
    runs = [(db_job, "success", d) for d in (2, 3, 4)] + [(db_job, "failure", 5)]
    runs += [(web_job, "success", 2), (db_job, "failure", 32)]
    for job, result, day in runs:
        report_backup_run(job, result=result, finished_at=at(1) + dt.timedelta(days=day - 1),
                          acting_user=None)  # fmt: skip
    ConfigurationItem.objects.filter(pk=web_job.pk).update(created_at=at(1, month=2))
    [missed] = sweep_missed_backups(at(3, 4))  # the web job's run due on the 3rd at 02:00
    assert missed.job == web_job
    # when the KPIs are computed
    kpi = figures()["backup_success"]
    # then 4 of 6 runs of March succeeded
    assert (kpi.value, kpi.numerator, kpi.denominator) == (66.7, 4, 6)
    # and the shop's (through its database's job): 3 of 4
    assert figures(shop["shop"].pk)["backup_success"].value == 75.0


def test_restore_test_coverage_reads_the_overdue_rule_at_the_periods_end(shop: dict) -> None:
    # given db01 (every 30 days) restored on March 20th: due April 19th, covered on April 1st
    db01 = shop["db01"]
    db01.restore_test_days = 30
    db01.save(update_fields=["restore_test_days"])
    record_restore_test(db01, tested_at=at(20), result="passed", acting_user=None)
    # and app01 (every 7 days) restored on the 10th, failing on the 30th, passing on April 10th
    app01 = ci("app01", CiClass.APPLICATION, restore_test_days=7)
    for when, result in ((at(10), "passed"), (at(30), "failed"), (at(10, month=4), "passed")):
        record_restore_test(app01, tested_at=when, result=result, acting_user=None)
    # and a never tested item with a policy; a retired one and one without policy do not count
    ci("files01", restore_test_days=90)
    ci("old01", restore_test_days=30, status=CiStatus.RETIRED)
    record_restore_test(ci("tmp01"), tested_at=at(5), result="passed", acting_user=None)
    # when the KPIs are computed
    kpi = figures()["restore_test_coverage"]
    # then 1 of the 3 items with a policy was covered at the end of March
    assert (kpi.value, kpi.numerator, kpi.denominator) == (33.3, 1, 3)
    # and the shop's one item with a policy (db01) was
    assert figures(shop["shop"].pk)["restore_test_coverage"].value == 100.0


def test_access_review_completion_of_campaigns_due_in_the_period(
    make_user: Any, shop: dict
) -> None:
    # given campaigns over the ERP (3 grants, 2 decided) and the CRM (1 grant, undecided)
    olga, alex = make_user("olga"), make_user("alex", Role.ACCESS_MANAGER)
    crm = ci("CRM", CiClass.APPLICATION)
    roles = {
        "clerk": AccessRole.objects.create(system=shop["erp"], name="Clerk", owner=olga),
        "payer": AccessRole.objects.create(system=shop["erp"], name="Payer", owner=olga),
        "sales": AccessRole.objects.create(system=crm, name="Sales", owner=olga),
    }
    rita, sam = make_user("rita"), make_user("sam")
    for role, holder in (("clerk", rita), ("clerk", sam), ("payer", sam), ("sales", rita)):
        grant(roles[role], holder, acting_user=None, reason="REQ0001001")
    due = dt.date.today() + dt.timedelta(days=7)
    erp_review = reviews.start("ERP Q1", [shop["erp"]], due, alex)
    reviews.start("CRM Q1", [crm], due, alex)
    for item in list(erp_review.items.all())[:2]:
        reviews.decide(item, olga, confirm=True)
    # and a campaign due in April, all pending
    late = reviews.start("ERP Q2", [shop["erp"]], due, alex)
    AccessReview.objects.update(due_on=dt.date(2026, 3, 31))
    AccessReview.objects.filter(pk=late.pk).update(due_on=END)
    # when the KPIs are computed
    kpi = figures()["access_review_completion"]
    # then 2 of the 4 items of the campaigns due in March are decided
    assert (kpi.value, kpi.numerator, kpi.denominator) == (50.0, 2, 4)
    # and for the shop, which rests on the ERP: 2 of 3
    assert figures(shop["shop"].pk)["access_review_completion"].value == 66.7


def test_a_service_filter_says_which_figures_cover_every_service(shop: dict) -> None:
    # when the KPIs of one service are computed
    labels = {kpi.key: kpi.label for kpi in process_kpis(START, END, shop["shop"].pk, now=NOW)}
    # then requests and approvals, which no service narrows, say so
    assert labels["request_fulfilment_time"] == "Request fulfilment time (all services)"
    assert labels["approval_time"] == "Approval time (all services)"
    assert labels["backup_success"] == "Backup success"
