"""Discovery over the API: upsert by identity, idempotent, stamps without history, all or none."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.models import HistoryEntry

URL = "/api/v1/cmdb/discovery"


def _inventory(**changes: Any) -> dict[str, Any]:
    """A switch, a physical host and two virtual servers on it, as a script would send them."""
    items = [
        {"class": "network_device", "name": "sw-core-1", "serial_number": "SW1",
         "attributes": {"device_type": "switch", "vendor": "Arista"}},
        {"class": "server", "name": "esx-01", "hostname": "esx-01.example.org",
         "ip_address": "10.0.0.10", "serial_number": "HOST1",
         "attributes": {"kind": "physical", "cpu_count": 64}},
        {"class": "server", "name": "vm-01", "hostname": "VM-01.example.org",
         "ip_address": "10.0.1.1", "attributes": {"kind": "virtual", "os": "Debian"}},
        {"class": "server", "name": "vm-02", "hostname": "vm-02.example.org",
         "ip_address": "10.0.1.2", "attributes": {"kind": "virtual", "os": "Debian"}},
    ]  # fmt: skip
    relations = [
        {"source": {"hostname": "vm-01.example.org"}, "type": "hosted_on",
         "target": {"serial_number": "HOST1"}},
        {"source": {"hostname": "vm-02.example.org"}, "type": "hosted_on",
         "target": {"hostname": "esx-01.example.org"}},
        {"source": "server:esx-01", "type": "connects_to", "target": "network_device:sw-core-1"},
    ]  # fmt: skip
    return {"source": "inventory-script-1", "items": items, "relations": relations, **changes}


@pytest.fixture
def owner(make_user):
    return make_user("olivia", Role.SERVICE_OWNER)


@pytest.fixture
def owner_api(owner, api_client):
    return api_client(owner)


def _post(client, body: Any):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json")


def _ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_an_inventory_creates_items_and_relations_stamped_with_its_source(owner_api, owner):
    # when a script sends its inventory
    body = _ok(_post(owner_api, _inventory()))

    # then the items and relations exist, stamped, each created with a history entry
    assert {k: body[k] for k in ("created", "updated", "unchanged")} == {
        "created": 4, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    assert (body["relations_created"], body["relations_existing"]) == (3, 0)
    assert body["source"] == "inventory-script-1"
    vm = ConfigurationItem.objects.get(name="vm-01")
    assert (vm.hostname, vm.discovery_source) == ("vm-01.example.org", "inventory-script-1")
    assert vm.last_discovered_at is not None
    assert vm.attributes == {"kind": "virtual", "os": "Debian"}
    assert Relation.objects.filter(source=vm, type="hosted_on", target__name="esx-01").exists()
    entries = list(history_of(vm).values_list("action", "channel", "actor_id"))
    assert entries == [("created", "api", owner.pk), ("relation added", "api", owner.pk)]
    assert verify_history() == []


def test_sending_the_same_inventory_again_changes_nothing_but_the_stamps(owner_api):
    # given an inventory sent an hour ago
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _ok(_post(owner_api, _inventory()))
    entries = HistoryEntry.objects.count()
    versions = dict(ConfigurationItem.objects.values_list("name", "version"))

    # when the script sends the same inventory again
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        body = _ok(_post(owner_api, _inventory()))

    # then nothing changed, no history entry was written, only the stamps moved
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 4)
    assert (body["relations_created"], body["relations_existing"]) == (0, 3)
    assert HistoryEntry.objects.count() == entries
    assert dict(ConfigurationItem.objects.values_list("name", "version")) == versions
    stamps = set(ConfigurationItem.objects.values_list("last_discovered_at", flat=True))
    assert stamps == {start + dt.timedelta(hours=1)}
    assert verify_history() == []


def test_fields_not_sent_are_left_as_they_are_and_a_change_is_recorded_once(owner_api, make_group):
    # given a server that people described and gave a support group
    unix = make_group("Unix")
    server = create_ci(
        name="vm-01", ci_class=CiClass.SERVER, hostname="vm-01.example.org", support_group=unix,
        description="Runs payroll", attributes={"os": "Debian", "memory_gb": 8}, acting_user=None,
    )  # fmt: skip

    # when discovery reports it (by hostname) with a new IP address and its OS version
    item = {"class": "server", "hostname": "vm-01.example.org", "ip_address": "10.9.9.9",
            "attributes": {"os_version": "12", "os": "Debian"}}  # fmt: skip
    body = _ok(_post(owner_api, {"source": "script", "items": [item]}))

    # then the item is updated with what was sent, and keeps everything else
    assert (body["created"], body["updated"]) == (0, 1)
    server.refresh_from_db()
    assert (server.description, server.support_group, server.ip_address) == (
        "Runs payroll", unix, "10.9.9.9",
    )  # fmt: skip
    assert server.attributes == {"os": "Debian", "memory_gb": 8, "os_version": "12"}
    last = history_of(server).last()
    assert (last.action, set(last.changes)) == ("updated", {"ip_address", "attributes"})
    assert server.version == 2


def test_one_bad_item_refuses_the_inventory_naming_index_and_field(owner_api):
    # given an inventory whose item 3 has a bad address and item 1 an unknown class
    inventory = _inventory()
    inventory["items"][3]["ip_address"] = "10.0.1.300"
    inventory["items"][1]["class"] = "mainframe"
    entries = HistoryEntry.objects.count()

    # when it is sent
    response = _post(owner_api, inventory)

    # then nothing is written and the answer names both, index and field
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"].startswith("items[1].class: 'mainframe' is not known")
    assert "items[3].ip_address: Enter a valid IPv4 or IPv6 address." in body["detail"]
    assert [(p["where"], p["field"]) for p in body["problems"]] == [
        ("items[1]", "class"), ("items[3]", "ip_address"),
    ]  # fmt: skip
    assert not ConfigurationItem.objects.exists()
    assert HistoryEntry.objects.count() == entries


def test_a_relation_to_an_unknown_item_refuses_the_inventory(owner_api):
    inventory = _inventory()
    inventory["relations"].append(
        {"source": "vm-01", "type": "depends_on", "target": {"hostname": "nowhere"}}
    )

    response = _post(owner_api, inventory)

    assert response.status_code == 400
    assert "relations[3].target: No item has hostname 'nowhere'." in response.json()["detail"]
    assert not ConfigurationItem.objects.exists()


def test_an_ambiguous_description_is_refused_not_guessed(owner_api):
    # given a server and a database sharing a hostname
    for ci_class in (CiClass.SERVER, CiClass.DATABASE):
        create_ci(
            name=f"pg {ci_class}", ci_class=ci_class, hostname="pg.example.org", acting_user=None
        )

    # when a relation names the hostname without a class
    inventory = {"source": "s", "relations": [
        {"source": {"hostname": "pg.example.org"}, "type": "depends_on", "target": "pg server"},
    ]}  # fmt: skip
    response = _post(owner_api, inventory)

    # then it is refused with both candidates named
    assert response.status_code == 400
    assert (
        "relations[0].source: The hostname 'pg.example.org' matches 2 items"
        in (response.json()["detail"])
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("not json", 422, "body: not valid JSON"),
        ("", 422, "not valid JSON"),
        ("[" * 50_000 + "]" * 50_000, 422, "not valid JSON"),
        (
            '{"source": "s", "items": [{"name": "' + "9" * 5000 + '"}]}',
            400,
            "items[0].name: Ensure this value has at most 200 characters",
        ),
        ("[]", 422, "body: must be an object"),
        ({"items": []}, 422, "source: must name"),
        ({"source": 5, "items": []}, 422, "source: must name"),
        ({"source": "s", "items": {"name": "x"}}, 422, "items: must be a list"),
        ({"source": "s", "items": [], "extra": 1}, 422, "extra: is not part"),
        ({"source": "s", "items": ["x"]}, 422, "items[0]: must be an object"),
        (
            {"source": "s", "items": [{"name": 5, "class": "server"}]},
            422,
            "items[0].name: must be text",
        ),
        ({"source": "s", "items": [{"name": "x"}]}, 400, "items[0].class: is needed"),
        ({"source": "s", "items": [{"name": "x", "class": "server", "colour": 1}]}, 422, "colour"),
        (
            {
                "source": "s",
                "items": [{"name": "x", "class": "server", "restore_test_days": 10**30}],
            },
            422,
            "restore_test_days",
        ),
        (
            {"source": "s", "items": [{"name": "x", "class": "server", "owner_group": 10**30}]},
            400,
            "owner_group: There is no support group",
        ),
        (
            {
                "source": "s",
                "items": [
                    {
                        "name": "x",
                        "class": "server",
                        "attributes": {"cpu_count": 10**30, "os": {"a": 1}},
                    }
                ],
            },
            400,
            "attributes.os",
        ),
        ({"source": "s", "items": [{"name": "x\u0000", "class": "server"}]}, 400, "NUL"),
        ({"source": "s\u0000", "items": []}, 400, "source"),
        (
            {
                "source": "s",
                "items": [{"name": "x", "class": "server", "attributes": {"os\u0000": "a"}}],
            },
            400,
            "NUL",
        ),
        (
            {"source": "s", "relations": [{"source": "a\u0000", "type": "x", "target": "b"}]},
            400,
            "NUL",
        ),
        (
            {"source": "s", "relations": [{"source": [], "type": 5, "target": {}}]},
            400,
            "relations[0].source",
        ),
        ({"source": "s", "items": [{"number": "INC1", "name": "x"}]}, 400, "items[0].number"),
        ({"source": "x" * 101, "items": []}, 400, "at most 100"),
    ],
)
def test_garbage_is_answered_4xx_never_500(owner_api, body, status, words):
    response = _post(owner_api, body)

    assert response.status_code == status, response.content[:300]
    assert words in response.json()["detail"]
    assert not ConfigurationItem.objects.exists()


def test_a_body_over_the_limit_is_refused_before_it_is_read(owner_api):
    response = owner_api.post(
        URL, data=b"{}", content_type="application/json", CONTENT_LENGTH=str(21 * 1024 * 1024)
    )

    assert response.status_code == 413
    assert "at most 20 MB" in response.json()["detail"]


def test_only_those_who_manage_the_cmdb_may_discover(make_user, api_client, owner, client):
    # an agent, a read-only token and nobody at all are refused
    agent = api_client(make_user("alex", Role.AGENT))
    assert _post(agent, _inventory()).status_code == 403
    assert _post(api_client(owner, scope="read"), _inventory()).status_code == 403
    assert _post(client, _inventory()).status_code == 401
    assert not ConfigurationItem.objects.exists()


def test_an_item_renamed_in_the_inventory_keeps_its_identity_and_relations(owner_api):
    # given a discovered host, known by serial number
    _ok(_post(owner_api, _inventory()))
    host = ConfigurationItem.objects.get(serial_number="HOST1")

    # when the next inventory reports it under a new name and hostname
    inventory = _inventory()
    inventory["items"][1].update(name="esx-01-new", hostname="esx-01-new.example.org")
    inventory["relations"][1]["target"] = {"hostname": "esx-01-new.example.org"}
    inventory["relations"][2]["source"] = "server:esx-01-new"
    body = _ok(_post(owner_api, inventory))

    # then it is the same item, renamed, with its relations
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 3)
    assert body["relations_existing"] == 3
    host.refresh_from_db()
    assert (host.name, host.hostname) == ("esx-01-new", "esx-01-new.example.org")
    assert host.incoming.count() == 2
    assert verify_history() == []
