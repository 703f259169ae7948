"""The CMDB API: items, relations, impact; permissions and clear 4xx for bad input."""

from __future__ import annotations

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.choices import CiClass, RelationType
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core.history import history_of, verify_history

R = RelationType


@pytest.fixture
def owner(make_user):
    return make_user("owner", Role.SERVICE_OWNER)


@pytest.fixture
def owner_api(api_client, owner):
    return api_client(owner)


def test_a_service_owner_creates_reads_and_lists_an_item(owner_api, make_group):
    # given a support group
    group = make_group("Unix")

    # when a server is created with typed attributes
    answer = owner_api.post(
        "/api/v1/cmdb/cis",
        {
            "name": "srv-01",
            "class": "server",
            "hostname": "SRV-01.example.org",
            "ip_address": "10.1.2.3",
            "support_group": group.pk,
            "attributes": {"os": "Debian", "cpu_count": 8},
            "restore_test_days": 90,
        },
        content_type="application/json",
    )

    # then it is numbered, normalised and can be read and found
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["number"], body["class"], body["hostname"]) == (
        "CI0001001",
        "server",
        "srv-01.example.org",
    )
    assert body["support_group"] == {"id": group.pk, "name": "Unix"}
    assert body["attributes"] == {"os": "Debian", "cpu_count": 8}
    assert owner_api.get("/api/v1/cmdb/cis/CI0001001").json()["ip_address"] == "10.1.2.3"
    listed = owner_api.get("/api/v1/cmdb/cis?q=debian&class=server").json()
    assert listed["count"] == 0  # attributes are not in the search text
    listed = owner_api.get("/api/v1/cmdb/cis?q=srv-01&class=server").json()
    assert [item["number"] for item in listed["items"]] == ["CI0001001"]
    by_ip = owner_api.get("/api/v1/cmdb/cis?ip_address=10.1.2.3").json()
    assert by_ip["count"] == 1


def test_bad_input_is_named_and_nothing_is_written(owner_api):
    cases = [
        ({"name": "x", "class": "spaceship"}, 422, "class"),
        ({"name": "x", "class": "server", "ip_address": "10.1.2"}, 422, "ip_address"),
        ({"name": "x", "class": "server", "attributes": {"cpu_count": -1}}, 400, "cpu_count"),
        ({"name": "x", "class": "server", "support_group": 999}, 400, "support_group"),
        ({"name": "x", "class": "server", "owner": "nobody"}, 400, "owner"),
        ({"name": "x", "class": "server", "colour": "red"}, 422, "colour"),
        ({"name": "x\x00", "class": "server"}, 422, "NUL"),
        ({"name": "j", "class": "backup_job"}, 400, "schedule"),
    ]
    for body, status, named in cases:
        answer = owner_api.post("/api/v1/cmdb/cis", body, content_type="application/json")
        assert answer.status_code == status, (body, answer.content)
        assert named in answer.json()["detail"], (body, answer.json())
    assert not ConfigurationItem.objects.exists()


def test_update_with_a_stale_version_is_a_conflict(owner_api, make_ci, make_user):
    # given a server and a subscriber
    ci = make_ci("srv-01")
    ann = make_user("ann")

    # when it is changed with its version, then with the old one
    first = owner_api.patch(
        f"/api/v1/cmdb/cis/{ci.number}",
        {"status": "maintenance", "version": 1, "subscribers": ["ann"]},
        content_type="application/json",
    )
    second = owner_api.patch(
        f"/api/v1/cmdb/cis/{ci.pk}",
        {"name": "srv-02", "version": 1},
        content_type="application/json",
    )

    # then the first is saved, the second refused with the current version
    assert first.status_code == 200, first.content
    assert (first.json()["status"], first.json()["version"]) == ("maintenance", 2)
    assert first.json()["subscribers"] == ["ann"]
    assert second.status_code == 409
    assert second.json()["current_version"] == 2
    assert list(ann.subscribed_services.all()) == [ci]


def test_relations_both_ways_and_removal(owner_api, make_ci):
    # given an application and a server
    app, server = make_ci("mail-app", CiClass.APPLICATION), make_ci("srv-01")

    # when the app is said to run on the server, from the server's side
    added = owner_api.post(
        f"/api/v1/cmdb/cis/{server.number}/relations",
        {"type": "runs_on", "source": app.number},
        content_type="application/json",
    )

    # then the relation reads from the app, and both items list it
    assert added.status_code == 201, added.content
    assert added.json()["reads"] == "mail-app runs on srv-01"
    for item in (app, server):
        listed = owner_api.get(f"/api/v1/cmdb/cis/{item.number}/relations").json()
        assert [r["id"] for r in listed] == [added.json()["id"]]

    # and bad relations are refused, a removal is recorded
    bad = owner_api.post(
        f"/api/v1/cmdb/cis/{server.number}/relations",
        {"type": "runs_on", "source": app.number, "target": app.number},
        content_type="application/json",
    )
    assert bad.status_code == 400
    unknown = owner_api.post(
        f"/api/v1/cmdb/cis/{server.number}/relations",
        {"type": "runs_on", "target": "CI0009999"},
        content_type="application/json",
    )
    assert (unknown.status_code, "target" in unknown.json()["detail"]) == (400, True)
    gone = owner_api.delete(f"/api/v1/cmdb/relations/{added.json()['id']}")
    assert gone.status_code == 204
    assert not Relation.objects.exists()
    assert history_of(app).last().action == "relation removed"
    assert verify_history() == []


def test_impact_names_services_paths_and_users(owner_api, make_ci, relate, make_user):
    # given e-mail depending on an app running on a server, with a subscriber
    email = make_ci("E-mail", CiClass.BUSINESS_SERVICE, attributes={"user_count": 40})
    app, server = make_ci("Exchange", CiClass.APPLICATION), make_ci("srv-01")
    relate(email, R.DEPENDS_ON, app)
    relate(app, R.RUNS_ON, server)
    owner_api.patch(
        f"/api/v1/cmdb/cis/{email.number}",
        {"subscribers": [make_user("ann").username]},
        content_type="application/json",
    )

    # when the server's impact is asked
    body = owner_api.get(f"/api/v1/cmdb/cis/{server.number}/impact").json()

    # then the service is named with the chain that reaches it
    assert body["affected_count"] == 2
    assert body["affected_by_class"] == {"application": 1, "business_service": 1}
    (service,) = body["services"]
    assert (service["ci"]["name"], service["depth"]) == ("E-mail", 2)
    assert [(s["ci"]["name"], s["relation"]) for s in service["path"]] == [
        ("srv-01", "runs_on"),
        ("Exchange", "depends_on"),
    ]
    assert (body["users_count"], body["users"], body["estimated_users"]) == (1, ["ann"], 40)


def test_classes_list_their_attributes(owner_api):
    classes = {c["name"]: c for c in owner_api.get("/api/v1/cmdb/classes").json()}
    job = {a["name"]: a for a in classes["backup_job"]["attributes"]}
    assert job["schedule"]["required"] and job["schedule"]["kind"] == "schedule"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.REQUESTER, 403, 403),
        (Role.AGENT, 200, 403),
        (Role.AUDITOR, 200, 403),
        (Role.CHANGE_MANAGER, 200, 201),
        (Role.ADMINISTRATOR, 200, 201),
    ],
)
def test_who_may_read_and_write(api_client, make_user, role, read, write):
    client = api_client(make_user("someone", role))
    assert client.get("/api/v1/cmdb/cis").status_code == read
    created = client.post(
        "/api/v1/cmdb/cis", {"name": "n", "class": "server"}, content_type="application/json"
    )
    assert created.status_code == write


def test_unknown_items_are_404(owner_api):
    for path in ("CI0009999", "12345", "nonsense", "99999999999999999999999"):
        assert owner_api.get(f"/api/v1/cmdb/cis/{path}").status_code == 404
        assert owner_api.get(f"/api/v1/cmdb/cis/{path}/impact").status_code == 404


def test_the_service_map_has_nodes_by_depth_and_the_edges_between_them(owner_api, make_ci, relate):
    # given a service on an app running on two servers on one hypervisor, and a backup job
    email = make_ci("E-mail", CiClass.BUSINESS_SERVICE)
    app, hv = make_ci("Exchange", CiClass.APPLICATION), make_ci("hv-01")
    servers = [make_ci("mbx-01"), make_ci("mbx-02")]
    relate(email, R.DEPENDS_ON, app)
    for server in servers:
        relate(app, R.RUNS_ON, server)
        relate(server, R.HOSTED_ON, hv)
    relate(servers[0], R.BACKED_UP_BY, make_ci("nightly", CiClass.BACKUP_JOB))

    # when its map is asked
    body = owner_api.get(f"/api/v1/cmdb/cis/{email.number}/map").json()

    # then every item it rests on is there at its depth, with the four + one edges
    depths = {node["ci"]["name"]: node["depth"] for node in body["nodes"]}
    assert depths == {"E-mail": 0, "Exchange": 1, "mbx-01": 2, "mbx-02": 2, "hv-01": 3}
    assert len(body["edges"]) == 5
    assert {"source": app.number, "type": "runs_on", "target": servers[1].number} in body["edges"]
    assert body["truncated"] is False
