"""CSV and JSON import: dry run, the (line, field, problem) report, all or nothing, idempotence."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.importing import MAX_BYTES, ImportFile, ImportResult, run_import
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.core import search
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.models import HistoryEntry, NumberSequence

SERVERS = """name,class,hostname,ip_address,serial_number,support_group,owner,attr.cpu_count,attr.os
web-01,server,WEB-01.example.org,10.0.0.1,SN-1,Unix,olivia,4,Debian
web-02,Server,web-02.example.org,10.0.0.2,SN-2,Unix,,8,Debian
"""


@pytest.fixture
def owner(make_user):
    return make_user("olivia", Role.SERVICE_OWNER, first_name="Olivia")


@pytest.fixture
def unix(make_group):
    return make_group("Unix")


def _import(owner, *files, dry_run=False) -> ImportResult:
    wrapped = [
        ImportFile(name, text.encode() if isinstance(text, str) else text) for name, text in files
    ]
    return run_import(wrapped, acting_user=owner, dry_run=dry_run)


def _problems(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(p.where.index if p.where else None, p.field) for p in result.problems]


def test_a_csv_file_creates_numbered_recorded_searchable_items(owner, unix):
    # given a CSV of two servers
    # when it is imported
    result = _import(owner, ("servers.csv", SERVERS))

    # then both exist as the actions would have made them
    assert result.ok and result.applied
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    web = ConfigurationItem.objects.get(name="web-01")
    assert web.number.startswith("CI")
    assert (web.hostname, web.ip_address, web.serial_number) == (
        "web-01.example.org",
        "10.0.0.1",
        "SN-1",
    )
    assert (web.support_group, web.owner) == (unix, owner)
    assert web.attributes == {"cpu_count": 4, "os": "Debian"}
    assert ConfigurationItem.objects.get(name="web-02").owner is None
    entry = history_of(web).get()
    assert (entry.action, entry.channel, entry.actor_id) == ("created", "import", owner.pk)
    assert entry.changes["support_group"]["new"] == {"id": unix.pk, "label": "Unix"}
    assert entry.changes["attributes"]["new"] == {"cpu_count": 4, "os": "Debian"}
    web2 = ConfigurationItem.objects.get(name="web-02")
    assert list(search.search(ConfigurationItem.objects.all(), web2.number)) == [web2]
    assert verify_history() == []


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(owner, unix):
    # given one of the servers exists already
    create_ci(name="web-01", ci_class=CiClass.SERVER, serial_number="SN-1", acting_user=None)
    entries, sequence = HistoryEntry.objects.count(), NumberSequence.objects.get().last_value

    # when the file is checked with a dry run
    result = _import(owner, ("servers.csv", SERVERS), dry_run=True)

    # then the report says one new, one changed, and nothing was written
    assert result.ok and not result.applied
    assert (result.created, result.updated) == (1, 1)
    changed = {row.name: (row.outcome, row.changes) for row in result.rows}
    assert changed["web-02"] == (
        "create",
        [
            "name",
            "ci_class",
            "hostname",
            "ip_address",
            "serial_number",
            "support_group",
            "attributes",
        ],
    ) or (changed["web-02"][0] == "create")
    assert changed["web-01"][0] == "update"
    assert "hostname" in changed["web-01"][1] and "name" not in changed["web-01"][1]
    assert ConfigurationItem.objects.count() == 1
    assert HistoryEntry.objects.count() == entries
    assert NumberSequence.objects.get().last_value == sequence


def test_one_bad_row_imports_nothing_and_the_report_names_line_and_field(owner, unix):
    # given a file whose third item (line 4) has a bad IP address
    text = SERVERS + "web-03,server,web-03.example.org,10.0.0.300,SN-3,Unix,,2,Debian\n"

    # when it is imported
    result = _import(owner, ("servers.csv", text))

    # then nothing is imported and the report names line 4, ip_address, in plain words
    assert not result.applied
    assert _problems(result) == [(4, "ip_address")]
    assert "valid IPv4 or IPv6" in result.problems[0].problem
    assert result.problems[0].text().startswith("line 4, ip_address: ")
    assert not ConfigurationItem.objects.exists()
    assert not NumberSequence.objects.exists() or NumberSequence.objects.get().last_value == 1000


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("x,toaster,,,,,,,", "class", "'toaster' is not known"),
        ("x,server,,,,Nobody,,,", "support_group", "no support group 'Nobody'"),
        ("x,server,,,,,ghost,,", "owner", "no user 'ghost'"),
        ("x,server,,,,,,lots,", "attributes.cpu_count", "must be a whole number"),
        ("x,server,,,,,,0,", "attributes.cpu_count", "must be at least 1"),
        ("x,,,,,,,,", "class", "is needed for a new item"),
        ("x,server,,,,,,,Debian\x00", "attributes", "NUL"),
        ("x,server,,,,,,,Debian,extra", "", "has 10 cells but the header 9 columns"),
        ("web-01,server,other.example.org,,,,,,", "", "same item as line 2"),
    ],
)
def test_each_problem_is_named_in_plain_words(owner, unix, row, field, words):
    # given a file with a good row and a bad one on line 4
    text = SERVERS + row + "\n"

    # when it is imported
    result = _import(owner, ("servers.csv", text))

    # then the problem is on line 4, that field, in words saying what is wrong
    assert [(p.where.index, p.field) for p in result.problems] == [(4, field)]
    assert words.lower() in result.problems[0].problem.lower()
    assert not ConfigurationItem.objects.exists()


def test_reimporting_the_same_file_changes_nothing_and_a_changed_cell_one_thing(owner, unix):
    # given an imported file
    _import(owner, ("servers.csv", SERVERS))
    entries = HistoryEntry.objects.count()

    # when the same file is imported again
    again = _import(owner, ("servers.csv", SERVERS))

    # then nothing changes and no history entry is written
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert HistoryEntry.objects.count() == entries

    # when one cell changes (web-02's IP), and web-01's CPU count is sent as " 4 "
    changed = SERVERS.replace("10.0.0.2,", "10.0.0.22,").replace(",4,", ", 4 ,")
    third = _import(owner, ("servers.csv", changed))

    # then only web-02 changes, with one history entry naming the field
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    web2 = ConfigurationItem.objects.get(name="web-02")
    assert (web2.ip_address, web2.version) == ("10.0.0.22", 2)
    assert history_of(web2).last().changes == {
        "ip_address": {"old": "10.0.0.2", "new": "10.0.0.22"}
    }
    assert HistoryEntry.objects.count() == entries + 1
    assert verify_history() == []


def test_empty_cells_and_missing_attributes_leave_an_item_as_it_is(owner, unix):
    # given a server with a description and two attributes
    web = create_ci(
        name="web-01", ci_class=CiClass.SERVER, serial_number="SN-1", description="Front end",
        attributes={"os": "Debian", "memory_gb": 16}, acting_user=None,
    )  # fmt: skip

    # when a file names it by serial number with only a new CPU count
    result = _import(
        owner, ("s.csv", "serial_number,class,description,attr.cpu_count\nSN-1,server,,2\n")
    )

    # then the CPU count is merged in and everything else kept
    assert (result.updated, result.created) == (1, 0)
    web.refresh_from_db()
    assert web.description == "Front end"
    assert web.attributes == {"os": "Debian", "memory_gb": 16, "cpu_count": 2}


def test_json_items_and_relations_by_number_name_and_identity(owner, unix):
    # given a storage array in the CMDB
    san = create_ci(name="san-01", ci_class=CiClass.STORAGE, acting_user=None)
    document = {
        "items": [
            {"name": "Mail", "class": "business_service", "attributes": {"user_count": 300}},
            {"name": "mail-app", "class": "application"},
            {"name": "mail-01", "class": "server", "hostname": "mail-01.example.org"},
        ],
        "relations": [
            {"source": "Mail", "type": "depends_on", "target": "application:mail-app"},
            {
                "source": "mail-app",
                "type": "runs on",
                "target": {"hostname": "MAIL-01.example.org"},
            },
            {
                "source": {"hostname": "mail-01.example.org"},
                "type": "depends_on",
                "target": san.number,
            },
        ],
    }

    # when it is imported
    result = _import(owner, ("cmdb.json", json.dumps(document)))

    # then the items and relations exist, each relation in its source's history
    assert result.ok, result.problems
    assert (result.created, result.relations_created) == (3, 3)
    server = ConfigurationItem.objects.get(name="mail-01")
    assert set(Relation.objects.values_list("source__name", "type", "target__name")) == {
        ("Mail", "depends_on", "mail-app"),
        ("mail-app", "runs_on", "mail-01"),
        ("mail-01", "depends_on", "san-01"),
    }
    actions = list(history_of(server).values_list("action", flat=True))
    assert actions == ["created", "relation added"]
    assert history_of(server).last().changes["relation"]["new"] == f"depends on {san.number} san-01"
    assert verify_history() == []

    # when the file is imported again
    again = _import(owner, ("cmdb.json", json.dumps(document)))

    # then the relations exist already and nothing is written
    assert (again.unchanged, again.relations_created, again.relations_existing) == (3, 0, 3)
    assert len(history_of(server)) == 2


def test_a_relations_csv_is_told_by_its_header(owner, unix):
    # given a server in the CMDB and files of items and relations
    db_server = create_ci(name="db-01", ci_class=CiClass.SERVER, acting_user=None)
    items = "name,class\npayroll,application\npayroll-db,database\n"
    relations = "target,type,source\ndb-01,runs_on,payroll-db\npayroll-db,depends_on,payroll\n"

    # when they are imported together (relations first)
    result = _import(owner, ("rel.csv", relations), ("items.csv", items))

    # then both relations are created
    assert result.ok, result.problems
    assert result.relations_created == 2
    assert Relation.objects.filter(source__name="payroll-db", target=db_server).exists()


def test_a_relation_to_an_unknown_item_is_reported_with_its_line(owner):
    relations = "source,type,target\nCI0009999,runs_on,nowhere\nweb,flies_to,db\n"

    result = _import(owner, ("r.csv", relations))

    assert [(p.where.label(), p.field) for p in result.problems] == [
        ("relations file, line 2", "source"),
        ("relations file, line 2", "target"),
        ("relations file, line 3", "type"),
    ]
    assert "No configuration item CI0009999" in result.problems[0].problem
    assert "No item has name 'nowhere'" in result.problems[1].problem


def test_a_new_item_may_not_take_an_existing_name_of_its_class(owner):
    # given a server with a serial number
    create_ci(name="web-01", ci_class=CiClass.SERVER, serial_number="OLD", acting_user=None)

    # when a file describes another machine (other serial number) with the same name
    result = _import(owner, ("s.csv", "name,class,serial_number\nweb-01,server,NEW\n"))

    # then the name is refused, naming the item that has it
    assert _problems(result) == [(2, "name")]
    assert "already named 'web-01' (CI0001001)" in result.problems[0].problem


def test_lifecycle_moves_are_checked_as_the_actions_check_them(owner):
    create_ci(name="old", ci_class=CiClass.SERVER, status="retired", acting_user=None)

    result = _import(owner, ("s.csv", "name,class,status\nold,server,in service\n"))

    assert _problems(result) == [(2, "status")]
    assert "From retired an item can go to planned" in result.problems[0].problem


def test_a_file_over_the_limit_is_refused_with_a_clear_message(owner):
    result = _import(owner, ("huge.csv", b"x" * (MAX_BYTES + 1)))

    assert not result.applied
    assert "huge.csv is 20.0 MB; an import file may be at most 20 MB" in result.problems[0].problem


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.csv", b"name,class\n\xff\xfe,server\n", "not UTF-8"),
        ("a.json", b'{"items": [', "not valid JSON"),
        ("a.json", b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        ("a.json", b'{"items": [{"name": "' + b"9" * 5000 + b'"}], "x": 1}', "not part of"),
        ("a.json", b'{"items": {"name": "x"}}', "must be a list"),
        ("a.json", b'["x"]', "must hold an object"),
        ("a.json", b'{"items": ["x"]}', "must be an object"),
        ("a.json", b'{"items": [{"name": ["x"], "class": 5}]}', "must be text"),
        (
            "a.json",
            b'{"items": [{"name": "x", "class": "server", "restore_test_days": 1e300}]}',
            "whole number",
        ),
        (
            "a.json",
            b'{"items": [{"name": "x", "class": "server", "restore_test_days": 1'
            + b"0" * 30
            + b"}]}",
            "3650",
        ),
        ("a.json", b'{"items": [{"name": "x\\u0000", "class": "server"}]}', "NUL"),
        (
            "a.json",
            b'{"items": [{"name": "x", "class": "server", "colour": "red"}]}',
            "not a field",
        ),
        (
            "a.json",
            b'{"items": [{"name": "x", "class": "server", "attributes": [1]}]}',
            "must be an object",
        ),
        ("a.json", b'{"relations": [{"source": 1, "type": "runs_on", "target": null}]}', "missing"),
        ("a.csv", b"", "empty"),
        ("a.csv", b"name,class\n\n\n", "nothing to import"),
        ("a.csv", b"colour,name\nred,x\n", "is not a column"),
        ("a.csv", b'name,class\n"unclosed,server\n', "is not valid CSV"),
        ("a.csv", b"name,class\n" + b"x" * 200_000 + b",server\n", "is not valid CSV"),
    ],
)
def test_garbage_is_reported_never_crashes(owner, name, data, words):
    result = _import(owner, (name, data))

    assert not result.applied and result.problems
    assert any(words.lower() in p.text().lower() for p in result.problems), result.problems
    assert not ConfigurationItem.objects.exists()


def test_an_agent_may_not_import(make_user):
    agent = make_user("alex", Role.AGENT)

    with pytest.raises(PermissionDenied):
        _import(agent, ("s.csv", SERVERS), dry_run=True)
