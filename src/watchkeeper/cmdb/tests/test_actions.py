"""Writing configuration items and relations: permission, number, history, search, validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import add_relation, create_ci, remove_relation, update_ci
from watchkeeper.cmdb.choices import CiClass, CiStatus, RelationType
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core import search
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of, verify_history


def test_a_service_owner_creates_a_numbered_recorded_searchable_item(make_user):
    # given a service owner
    owner = make_user("owner", Role.SERVICE_OWNER)

    # when they create two items
    mail = create_ci(
        name="Mail service",
        ci_class=CiClass.BUSINESS_SERVICE,
        acting_user=owner,
        description="Exchange for everyone",
    )
    db = create_ci(name="mail-db-01", ci_class=CiClass.DATABASE, acting_user=owner)

    # then they get consecutive numbers, a history entry each, and can be found
    assert (mail.number, db.number) == ("CI0001001", "CI0001002")
    entry = history_of(mail).get()
    assert (entry.action, entry.actor_id) == ("created", owner.pk)
    assert entry.changes["description"] == {"old": None, "new": "Exchange for everyone"}
    found = search.search(ConfigurationItem.objects.all(), "exchange")
    assert list(found) == [mail]
    assert list(search.search(ConfigurationItem.objects.all(), "CI0001002")) == [db]
    assert list(ConfigurationItem.objects.services()) == [mail]
    assert verify_history() == []


def test_an_agent_cannot_create_items(make_user):
    # given an agent
    agent = make_user("agent", Role.AGENT)

    # when they create an item
    with pytest.raises(PermissionDenied):
        create_ci(name="Sneaky", ci_class=CiClass.SERVER, acting_user=agent)

    # then nothing exists and no number was used
    assert not ConfigurationItem.objects.exists()
    assert create_ci(name="First", ci_class=CiClass.SERVER, acting_user=None).number == "CI0001001"


def test_a_duplicate_name_in_a_class_is_refused_without_using_a_number(make_user):
    # given a server
    create_ci(name="web-01", ci_class=CiClass.SERVER, acting_user=None)

    # when another server gets the same name
    with pytest.raises(ValidationError):
        create_ci(name="web-01", ci_class=CiClass.SERVER, acting_user=None)

    # then the next item still gets the next number (no gap)
    other = create_ci(name="web-01", ci_class=CiClass.APPLICATION, acting_user=None)
    assert other.number == "CI0001002"


def test_an_unknown_class_is_refused(db):
    # when an item of a class that does not exist is created
    with pytest.raises(ValidationError) as caught:
        create_ci(name="thing", ci_class="spaceship", acting_user=None)

    # then the class field is named
    assert "ci_class" in caught.value.message_dict


def test_typed_attributes_are_checked_and_named(make_user):
    # given a service owner
    owner = make_user("owner", Role.SERVICE_OWNER)

    # when a server gets a bad attribute, an unknown one and a good one
    with pytest.raises(ValidationError) as caught:
        create_ci(
            name="srv-01",
            ci_class=CiClass.SERVER,
            acting_user=owner,
            attributes={"cpu_count": "many", "colour": "blue", "os": "Debian"},
        )

    # then each problem names its attribute, and nothing was created
    errors = caught.value.message_dict
    assert set(errors) == {"attributes.cpu_count", "attributes.colour"}
    assert "whole number" in errors["attributes.cpu_count"][0]
    assert not ConfigurationItem.objects.exists()


def test_a_backup_job_needs_a_valid_schedule(db):
    with pytest.raises(ValidationError) as caught:
        create_ci(name="nightly", ci_class=CiClass.BACKUP_JOB, acting_user=None)
    assert "attributes.schedule" in caught.value.message_dict

    with pytest.raises(ValidationError) as caught:
        create_ci(
            name="nightly",
            ci_class=CiClass.BACKUP_JOB,
            acting_user=None,
            attributes={"schedule": "every night"},
        )
    assert "cron" in caught.value.message_dict["attributes.schedule"][0]

    job = create_ci(
        name="nightly",
        ci_class=CiClass.BACKUP_JOB,
        acting_user=None,
        attributes={"schedule": "0 2 * * *", "retention_days": "30"},
    )
    assert job.attributes == {"schedule": "0 2 * * *", "retention_days": 30}


def test_identifiers_are_normalised_and_searchable(db):
    ci = create_ci(
        name=" web-01 ",
        ci_class=CiClass.SERVER,
        acting_user=None,
        hostname="WEB-01.Example.ORG",
        ip_address="10.0.0.7",
        serial_number="SN-778",
    )
    assert (ci.name, ci.hostname) == ("web-01", "web-01.example.org")
    items = ConfigurationItem.objects.all()
    assert list(search.search(items, "10.0.0.7")) == [ci]
    assert list(search.search(items, "SN-778")) == [ci]
    for words in ("web-01", "example", "01", "web-01.example.org"):
        assert list(search.search(items, words)) == [ci], words


def test_update_records_changes_and_follows_the_lifecycle(make_user, make_ci):
    # given a planned server
    owner = make_user("owner", Role.SERVICE_OWNER)
    ci = make_ci("db-01", status=CiStatus.PLANNED)

    # when it goes into service with more memory
    changes = update_ci(
        ci,
        {"status": CiStatus.IN_SERVICE, "attributes": {"memory_gb": 64}},
        acting_user=owner,
        expected_version=1,
    )

    # then the change is recorded and the version moves on
    assert changes == {
        "status": (CiStatus.PLANNED, CiStatus.IN_SERVICE),
        "attributes": ({}, {"memory_gb": 64}),
    }
    assert (ci.version, ci.status) == (2, CiStatus.IN_SERVICE)
    assert history_of(ci).last().changes["status"] == {"old": "planned", "new": "in_service"}

    # and a stale version or a move the lifecycle forbids is refused, unchanged
    with pytest.raises(Conflict):
        update_ci(ci, {"name": "db-02"}, acting_user=owner, expected_version=1)
    update_ci(ci, {"status": CiStatus.RETIRED}, acting_user=owner)
    with pytest.raises(ValidationError) as caught:
        update_ci(ci, {"status": CiStatus.MAINTENANCE}, acting_user=owner)
    assert "status" in caught.value.message_dict
    ci.refresh_from_db()
    assert (ci.name, ci.status) == ("db-01", CiStatus.RETIRED)
    assert verify_history() == []


def test_an_agent_cannot_change_items(make_user, make_ci):
    agent = make_user("agent", Role.AGENT)
    ci = make_ci()
    with pytest.raises(PermissionDenied):
        update_ci(ci, {"name": "x"}, acting_user=agent)


def test_relations_are_recorded_on_the_source_and_added_once(make_ci):
    # given an application and a server
    app, server = make_ci("mail-app", CiClass.APPLICATION), make_ci("srv-01")

    # when the relation is added twice and then removed
    first = add_relation(app, RelationType.RUNS_ON, server, acting_user=None)
    again = add_relation(app, RelationType.RUNS_ON, server, acting_user=None)
    remove_relation(first, acting_user=None)

    # then one relation existed, and its history is on the source
    assert first.pk == again.pk
    entries = list(history_of(app).values_list("action", "changes"))
    label = f"runs on {server.number} srv-01"
    assert entries[1:] == [
        ("relation added", {"relation": {"old": None, "new": label}}),
        ("relation removed", {"relation": {"old": label, "new": None}}),
    ]
    assert not Relation.objects.exists()


def test_bad_relations_are_refused(make_ci):
    app, server = make_ci("a", CiClass.APPLICATION), make_ci("s")
    with pytest.raises(ValidationError):
        add_relation(app, RelationType.RUNS_ON, app, acting_user=None)
    with pytest.raises(ValidationError):
        add_relation(app, "eats", server, acting_user=None)
