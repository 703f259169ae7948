"""The identity rule: number, then serial number, then hostname, then class and name."""

from __future__ import annotations

import pytest

from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.identity import Identity, find_by_identity, parse_reference

pytestmark = pytest.mark.django_db


def _server(name: str, **fields):
    return create_ci(name=name, ci_class=CiClass.SERVER, acting_user=None, **fields)


def test_a_number_names_its_item_whatever_else_is_said():
    # given two servers
    web = _server("web-01", hostname="web-01.example.org", serial_number="SN1")
    _server("web-02", hostname="web-02.example.org")

    # when a description gives web-01's number with web-02's hostname
    found = find_by_identity(Identity.of(number=web.number.lower(), hostname="web-02.example.org"))

    # then the number decides
    assert found == web


def test_an_unknown_number_is_an_error_not_a_new_item():
    with pytest.raises(ValueError, match="No configuration item CI0009999"):
        find_by_identity(Identity.of(number="CI0009999", name="web-01", ci_class="server"))


def test_serial_number_then_hostname_then_class_and_name():
    # given a server known by serial, one by hostname only, one by name only
    by_serial = _server("a", serial_number="SN-A", hostname="a.example.org")
    by_host = _server("b", hostname="b.example.org")
    by_name = _server("c")

    # when descriptions name them by what they have
    # then each is found by its strongest identifier, the hostname in any case
    assert find_by_identity(Identity.of(serial_number="SN-A", ci_class="server")) == by_serial
    assert find_by_identity(Identity.of(hostname="B.Example.ORG", ci_class="server")) == by_host
    assert find_by_identity(Identity.of(name="c", ci_class="server")) == by_name
    assert find_by_identity(Identity.of(name="nothing", ci_class="server")) is None


def test_a_weaker_identifier_is_tried_when_the_stronger_finds_nothing():
    # given a server first reported by hostname only
    server = _server("db-host", hostname="db-host.example.org")

    # when an inventory now also sends its serial number
    found = find_by_identity(
        Identity.of(serial_number="NEW-SN", hostname="db-host.example.org", ci_class="server")
    )

    # then it is the same server (it will get the serial number)
    assert found == server


def test_an_item_with_another_serial_number_is_another_machine():
    # given a server with a serial number
    _server("web-01", hostname="web-01.example.org", serial_number="OLD")

    # when a description has the same hostname and name but another serial number
    identity = Identity.of(
        serial_number="NEW", hostname="web-01.example.org", ci_class="server", name="web-01"
    )

    # then it does not match: it is a new item
    assert find_by_identity(identity) is None


def test_serial_numbers_and_hostnames_match_within_the_class():
    # given a database that shares its server's hostname
    server = _server("pg-01", hostname="pg-01.example.org")
    database = create_ci(
        name="pg-01 cluster",
        ci_class=CiClass.DATABASE,
        hostname="pg-01.example.org",
        acting_user=None,
    )

    # when described with a class, each is found; without, the rule refuses to guess
    assert find_by_identity(Identity.of(hostname="pg-01.example.org", ci_class="server")) == server
    found = find_by_identity(Identity.of(hostname="pg-01.example.org", ci_class="database"))
    assert found == database
    with pytest.raises(ValueError, match="matches 2 items") as refused:
        find_by_identity(Identity.of(hostname="pg-01.example.org"))
    assert server.number in str(refused.value) and database.number in str(refused.value)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("ci0001234", Identity(number="CI0001234")),
        ("serial:ABC 1", Identity(serial_number="ABC 1")),
        ("hostname:Web-01", Identity(hostname="web-01")),
        ("server:web-01", Identity(ci_class="server", name="web-01")),
        ("SAP: finance", Identity(name="SAP: finance")),
        ({"hostname": "WEB", "class": "server"}, Identity(hostname="web", ci_class="server")),
        ({"name": "Mail"}, Identity(name="Mail")),
    ],
)
def test_references_read_as_text_or_objects(reference, expected):
    assert parse_reference(reference) == expected


@pytest.mark.parametrize(
    "reference",
    [
        *("", "  ", 42, None, [], {}, {"colour": "red"}, {"name": 5}),
        *({"class": "toaster", "name": "x"}, {"number": "INC0001"}, "web\x00", {"name": "a\x00"}),
    ],
)
def test_unreadable_references_say_why(reference):
    with pytest.raises(ValueError, match=r"\w"):
        parse_reference(reference)
