"""Correlation through the CMDB: a switch down explains its servers' alerts."""

from __future__ import annotations

from watchkeeper.cmdb.actions import add_relation, create_ci
from watchkeeper.events.ingest import ingest
from watchkeeper.events.models import Alert
from watchkeeper.events.tests.conftest import event


def small_network() -> None:
    switch = create_ci(name="sw-1", ci_class="network_device", hostname="sw-1", acting_user=None)
    for name in ("web01", "web02"):
        server = create_ci(name=name, ci_class="server", hostname=name, acting_user=None)
        add_relation(server, "connects_to", switch, acting_user=None)


def test_a_switch_alert_explains_the_servers_and_they_join_its_incident(make_source):
    # given two servers on a switch, and a source that opens incidents for critical alerts
    small_network()
    source, _ = make_source(incident_severities=["critical"])

    # when the switch goes down, then its servers
    ingest(source, [event(resource="sw-1", check="ping", minute=0)])
    ingest(source, [event(resource="web01", check="ping", minute=1)])
    ingest(source, [event(resource="web02", check="ping", minute=2)])

    # then the servers' alerts are the switch's children, all in one incident
    switch = Alert.objects.get(resource="sw-1")
    children = Alert.objects.filter(parent=switch)
    assert sorted(a.resource for a in children) == ["web01", "web02"]
    assert {a.incident_id for a in Alert.objects.all()} == {switch.incident_id}
    assert switch.incident.activities.filter(body__contains="explained by").count() == 2


def test_servers_first_then_the_switch_adopts_them(make_source):
    small_network()
    source, _ = make_source()
    ingest(source, [event(resource="web01", check="ping"), event(resource="web02", check="ping")])
    ingest(source, [event(resource="sw-1", check="ping", minute=1)])
    switch = Alert.objects.get(resource="sw-1")
    assert switch.parent is None
    assert sorted(switch.children.values_list("resource", flat=True)) == ["web01", "web02"]


def test_alerts_outside_the_window_or_unrelated_stay_apart(make_source):
    small_network()
    source, _ = make_source()
    ingest(source, [event(resource="sw-1", check="ping", minute=0)])
    ingest(source, [event(resource="web01", check="ping", minute=30)])  # too late
    ingest(source, [event(resource="db07", check="ping", minute=1)])  # not in the CMDB
    assert not Alert.objects.filter(parent__isnull=False).exists()


def test_alerts_on_two_items_of_one_service_are_one_outage(make_source):
    # given the shop: a service resting on an application that runs on two web servers, and a
    # third server of another service
    shop = create_ci(name="shop", ci_class="business_service", acting_user=None)
    app = create_ci(name="shop-app", ci_class="application", acting_user=None)
    add_relation(shop, "depends_on", app, acting_user=None)
    for name in ("web01", "web02"):
        server = create_ci(name=name, ci_class="server", hostname=name, acting_user=None)
        add_relation(app, "runs_on", server, acting_user=None)
    create_ci(name="mail01", ci_class="server", hostname="mail01", acting_user=None)
    source, _ = make_source(incident_severities=["critical"])
    # when both web servers go down, and the mail server too
    ingest(source, [event(resource="web01", check="http", minute=0)])
    ingest(source, [event(resource="web02", check="http", minute=1)])
    ingest(source, [event(resource="mail01", check="smtp", minute=2)])
    # then the second is the first's child, in its incident; the mail server stays apart
    first, second, mail = (Alert.objects.get(resource=r) for r in ("web01", "web02", "mail01"))
    assert second.parent == first and second.incident_id == first.incident_id
    assert mail.parent is None and mail.incident_id not in {None, first.incident_id}
