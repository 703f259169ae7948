"""Creating configuration items: permission, number, history and search in one transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core import search
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
