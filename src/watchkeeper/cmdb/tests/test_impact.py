"""Impact analysis and the service map's walk: direction per relation type, cycles, limits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb import graph_cache
from watchkeeper.cmdb.actions import remove_relation, set_subscribers
from watchkeeper.cmdb.choices import FAILURE_FLOWS_TO_SOURCE, CiClass, RelationType
from watchkeeper.cmdb.graph import failure_spreads, rests_on, walk, walk_in_memory
from watchkeeper.cmdb.impact import analyse
from watchkeeper.cmdb.models import ConfigurationItem, Relation

R = RelationType


@pytest.fixture
def mail(make_ci, relate):
    """E-mail (business) depends on Exchange (app) which runs on two servers hosted on a
    hypervisor that connects to a switch; the databases are backed up by a job."""
    items = {
        "email": make_ci("E-mail", CiClass.BUSINESS_SERVICE, attributes={"user_count": 800}),
        "dir": make_ci("Directory", CiClass.TECHNICAL_SERVICE),
        "exchange": make_ci("Exchange", CiClass.APPLICATION),
        "mbx1": make_ci("mbx-01"),
        "mbx2": make_ci("mbx-02"),
        "hv": make_ci("hv-01"),
        "switch": make_ci("core-sw-1", CiClass.NETWORK_DEVICE),
        "job": make_ci("nightly", CiClass.BACKUP_JOB),
        "dc": make_ci("dc-01", CiClass.LOCATION),
    }
    relate(items["email"], R.DEPENDS_ON, items["exchange"])
    relate(items["email"], R.DEPENDS_ON, items["dir"])
    relate(items["exchange"], R.RUNS_ON, items["mbx1"])
    relate(items["exchange"], R.RUNS_ON, items["mbx2"])
    relate(items["mbx1"], R.HOSTED_ON, items["hv"])
    relate(items["mbx2"], R.HOSTED_ON, items["hv"])
    relate(items["hv"], R.CONNECTS_TO, items["switch"])
    relate(items["mbx1"], R.BACKED_UP_BY, items["job"])
    relate(items["switch"], R.PART_OF, items["dc"])
    return items


def test_a_failure_spreads_up_to_the_business_service_with_its_path(mail, make_user):
    # given two users of the e-mail service
    users = [make_user("ann"), make_user("bob")]
    set_subscribers(mail["email"], users, acting_user=None)

    # when the switch fails
    impact = analyse(mail["switch"])

    # then everything above it is affected, nearest first, and the service's users
    names = {ConfigurationItem.objects.get(pk=pk).name for pk in impact.reached}
    assert names == {"hv-01", "mbx-01", "mbx-02", "Exchange", "E-mail", "dc-01"}
    assert [s.name for s in impact.services] == ["E-mail"]
    assert [u.username for u in impact.users()] == ["ann", "bob"]
    assert impact.estimated_users() == 800
    path = impact.path_to(mail["email"].pk)
    assert [step.relation for step in path] == [R.CONNECTS_TO, R.HOSTED_ON, R.RUNS_ON, R.DEPENDS_ON]
    assert path[0].via_id == mail["switch"].pk
    assert impact.count_by_class()["server"] == 3


def test_backups_do_not_spread_failure_and_a_service_impacts_itself(mail):
    assert analyse(mail["job"]).count == 0
    assert [s.name for s in analyse(mail["email"]).services] == ["E-mail"]
    assert [s.name for s in analyse(mail["dir"]).services] == ["Directory", "E-mail"]


def test_the_service_map_walks_down_to_what_a_service_rests_on(mail):
    reached, truncated = walk(mail["email"].pk, rests_on, limit=100)
    names = {ConfigurationItem.objects.get(pk=pk).name: r.depth for pk, r in reached.items()}
    assert names == {
        "Exchange": 1,
        "Directory": 1,
        "mbx-01": 2,
        "mbx-02": 2,
        "hv-01": 3,
        "core-sw-1": 4,
    }
    assert not truncated


def test_cycles_end_and_a_limit_says_it_cut(make_ci, relate):
    # given a ring of four servers that depend on each other
    ring = [make_ci(f"n{i}") for i in range(4)]
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        relate(a, R.DEPENDS_ON, b)

    # then each reaches the three others once, and a limit of two cuts
    reached, truncated = walk(ring[0].pk, failure_spreads, limit=10)
    assert (len(reached), truncated) == (3, False)
    assert analyse(ring[0], limit=2).truncated


EDGE_TYPES = st.sampled_from([*FAILURE_FLOWS_TO_SOURCE, R.PART_OF, R.BACKED_UP_BY])
EDGES = st.lists(
    st.tuples(st.integers(0, 7), EDGE_TYPES, st.integers(0, 7)).filter(lambda e: e[0] != e[2]),
    max_size=20,
    unique_by=lambda e: e,
)


def _reference(edges: list[tuple[int, str, int]], start: int) -> dict[int, int]:
    """Depths by a plain breadth-first search over the failure edges (the rule, spelled out)."""
    harms = {(t, s) for s, kind, t in edges if kind in FAILURE_FLOWS_TO_SOURCE}
    harms |= {(s, t) for s, kind, t in edges if kind == R.PART_OF}
    depths, frontier, depth = {start: 0}, [start], 0
    while frontier:
        depth += 1
        frontier = [b for a in frontier for a2, b in sorted(harms) if a2 == a and b not in depths]
        for node in frontier:
            depths.setdefault(node, depth)
        frontier = list(dict.fromkeys(frontier))
    del depths[start]
    return depths


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edges=EDGES)
def test_the_walk_matches_a_reference_search(make_ci, edges):
    # given eight items and random relations
    Relation.objects.all().delete()
    nodes = list(ConfigurationItem.objects.order_by("pk")) or [make_ci(f"p{i}") for i in range(8)]
    Relation.objects.bulk_create(
        Relation(source=nodes[s], type=kind, target=nodes[t]) for s, kind, t in edges
    )

    # when a failure of the first item is analysed, in SQL and over the graph in memory
    in_sql, _ = walk(nodes[0].pk, failure_spreads, limit=100)
    graph = graph_cache.load()
    in_memory, _ = walk_in_memory(nodes[0].pk, graph.up, graph.down, limit=100)

    # then both find the same items at the same depths as the reference, with real steps
    index = {node.pk: i for i, node in enumerate(nodes)}
    expected = _reference(edges, 0)
    for reached in (in_sql, in_memory):
        assert {index[pk]: r.depth for pk, r in reached.items()} == expected
        for r in reached.values():
            assert (index.get(r.via_id, 0), r.relation, index[r.ci_id]) in _harms(edges)


def _harms(edges: list[tuple[int, str, int]]) -> set[tuple[int, str, int]]:
    """(cause, relation, harmed) for every relation that carries a failure."""
    harms = {(t, kind, s) for s, kind, t in edges if kind in FAILURE_FLOWS_TO_SOURCE}
    return harms | {(s, kind, t) for s, kind, t in edges if kind == R.PART_OF}


def test_users_of_retired_accounts_are_not_counted(mail, make_user):
    ann = make_user("ann")
    gone = make_user("gone", Role.REQUESTER, is_active=False)
    set_subscribers(mail["email"], [ann, gone], acting_user=None)
    assert [u.username for u in analyse(mail["exchange"]).users()] == ["ann"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_graph_in_memory_follows_every_change(make_ci, relate):
    # given a service on an app on a server, analysed once (the process loads its copy)
    app, server, other = make_ci("app", CiClass.APPLICATION), make_ci("srv"), make_ci("srv-2")
    relation = relate(app, R.RUNS_ON, server)
    relate(make_ci("Mail", CiClass.BUSINESS_SERVICE), R.DEPENDS_ON, app)
    first = analyse(server)
    assert graph_cache._cache["graph"] is not None
    assert [s.name for s in first.services] == ["Mail"]
    assert first.count_by_class() == {"application": 1, "business_service": 1}
    assert [(step.via_id, step.relation) for step in first.path_to(app.pk)] == [
        (server.pk, R.RUNS_ON)
    ]

    # when a relation is added, then the first one removed
    relate(app, R.RUNS_ON, other)
    after_add = set(analyse(other).reached)
    remove_relation(relation, acting_user=None)
    after_remove = set(analyse(server).reached)

    # then each analysis sees the graph as it is now
    mail = ConfigurationItem.objects.get(name="Mail").pk
    assert (after_add, after_remove) == ({app.pk, mail}, set())
