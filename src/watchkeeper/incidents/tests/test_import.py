"""``watchkeeper import servicenow-incidents``: counts, re-runs, bad rows, history, numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.models import HistoryEntry
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.choices import HoldReason, IncidentState, ResolutionCode
from watchkeeper.incidents.importers.run import import_servicenow_incidents
from watchkeeper.incidents.models import Category, Incident

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "servicenow_sample.csv"
BAD = DATA / "servicenow_bad.csv"

pytestmark = pytest.mark.django_db


def expected_counts(path: Path) -> tuple[int, int]:
    """Incidents and history entries the file should give, counted straight from the CSV:
    one incident per number, one entry per row (rows in state -100 are left out)."""
    with path.open(newline="") as text:
        rows = list(csv.DictReader(text))
    numbers = {row["number"] for row in rows}
    entries = sum(1 for row in rows if row["incident_state"] != "-100")
    return len(numbers), entries


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_sample_gives_one_incident_per_number_and_one_entry_per_row() -> None:
    # given
    incidents, entries = expected_counts(SAMPLE)
    # when
    report = import_servicenow_incidents(SAMPLE)
    # then
    assert (report.created, report.skipped, report.history_entries) == (incidents, [], entries)
    assert Incident.objects.count() == incidents
    imported = HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), channel=Channel.IMPORT
    )
    assert imported.count() == entries
    assert sum(Incident.objects.values_list("history_length", flat=True)) == entries


def test_sample_history_verifies() -> None:
    # when
    import_servicenow_incidents(SAMPLE)
    # then
    assert verify_history() == []


def test_rerunning_the_same_file_changes_nothing() -> None:
    # given
    incidents, _ = expected_counts(SAMPLE)
    import_servicenow_incidents(SAMPLE)
    counts = (Incident.objects.count(), HistoryEntry.objects.count(), User.objects.count())
    # when
    report = import_servicenow_incidents(SAMPLE)
    # then
    assert (report.created, report.unchanged, report.history_entries) == (0, incidents, 0)
    assert (Incident.objects.count(), HistoryEntry.objects.count(), User.objects.count()) == counts


def test_incident_is_rebuilt_from_its_rows() -> None:
    # when: INC0000045 has rows New, Resolved, Resolved, Closed
    import_servicenow_incidents(SAMPLE)
    # then
    incident = Incident.objects.get(number="INC0000045")
    assert incident.state == IncidentState.CLOSED
    assert incident.caller.username == "caller-2403"
    assert incident.caller.has_role(Role.REQUESTER)
    assert not incident.caller.has_usable_password()
    assert incident.assignment_group == SupportGroup.objects.get(name="Group 56")
    assert incident.category == Category.objects.get(name="Category 55", parent=None)
    assert incident.subcategory.parent == incident.category
    assert (incident.impact, incident.urgency, incident.priority) == (2, 2, 3)
    assert incident.channel == Channel.PHONE
    assert incident.resolution_code == ResolutionCode.NOT_REPRODUCIBLE  # "code 5"
    assert incident.resolved_at == dt.datetime(2016, 2, 29, 11, 29, tzinfo=dt.UTC)
    assert incident.closed_at == dt.datetime(2016, 3, 5, 12, 0, tzinfo=dt.UTC)
    assert incident.created_at == dt.datetime(2016, 2, 29, 1, 16, tzinfo=dt.UTC)
    entries = list(history_of(incident))
    assert [e.action for e in entries] == ["created", "resolved", "updated", "closed"]
    assert entries[0].at == dt.datetime(2016, 2, 29, 1, 23, tzinfo=dt.UTC)
    assert entries[0].actor_label == "updated-by-21"
    assert entries[1].changes["state"] == {"old": "new", "new": "resolved"}
    assert {e.channel for e in entries} == {Channel.IMPORT}


def test_assignees_become_resolvers_in_their_groups() -> None:
    # when
    import_servicenow_incidents(SAMPLE)
    # then
    assigned = Incident.objects.exclude(assignee=None).select_related("assignee")
    assert assigned.exists()
    for incident in assigned:
        assert incident.assignee.has_role(Role.RESOLVER)
        assert incident.assignment_group.members.filter(pk=incident.assignee.pk).exists()


def test_bad_rows_skip_their_whole_incident_and_are_reported() -> None:
    # when
    report = import_servicenow_incidents(BAD)
    # then
    skipped = {s.number: s for s in report.skipped}
    assert set(skipped) == {"INC0000002", "INC0000003", "INC0000005"}
    assert skipped["INC0000002"].lines == [6, 7]
    assert "line 7: sys_updated_at '31/2/2016 10:00'" in skipped["INC0000002"].reason
    assert skipped["INC0000003"].lines == [8, 9, 10]
    assert "line 9: unknown incident_state 'Sleeping'" in skipped["INC0000003"].reason
    assert "line 14: impact '7 - Extreme'" in skipped["INC0000005"].reason
    assert set(Incident.objects.values_list("number", flat=True)) == {"INC0000001", "INC0000004"}
    incident_entries = HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident)
    )
    assert incident_entries.count() == report.history_entries == 4 + 2
    assert verify_history() == []


def test_placeholder_state_rows_are_left_out_and_reported() -> None:
    # when
    report = import_servicenow_incidents(BAD)
    # then
    assert report.left_out_rows == [(12, "incident_state -100 (row left out)")]
    incident = Incident.objects.get(number="INC0000004")
    assert (incident.state, incident.hold_reason) == (
        IncidentState.ON_HOLD,
        HoldReason.AWAITING_CALLER,
    )
    assert incident.history_length == 2


def test_new_incidents_are_numbered_above_the_imported_ones(
    make_user: Callable[..., User],
) -> None:
    # given
    import_servicenow_incidents(SAMPLE)
    highest = max(Incident.objects.values_list("number", flat=True))
    caller = make_user("rita", Role.REQUESTER)
    # when
    incident = create_incident(caller=caller, short_description="Printer", acting_user=caller)
    # then: above the import, and never below the first number Watchkeeper hands out
    assert incident.number > highest
    assert incident.number == f"INC{max(int(highest[3:]) + 1, 1001):07d}"


def test_numbering_continues_after_a_high_imported_number(
    make_user: Callable[..., User], tmp_path: Path
) -> None:
    # given
    export = tmp_path / "export.csv"
    export.write_text(BAD.read_text().replace("INC0000004", "INC0054321"))
    import_servicenow_incidents(export)
    caller = make_user("rita", Role.REQUESTER)
    # when
    incident = create_incident(caller=caller, short_description="Printer", acting_user=caller)
    # then
    assert incident.number == "INC0054322"


def test_import_reads_a_zip(tmp_path: Path) -> None:
    # given
    archive = tmp_path / "export.csv.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(BAD, "incident_event_log.csv")
        zipped.writestr("__MACOSX/._incident_event_log.csv", b"\x00\x05")
    # when
    report = import_servicenow_incidents(archive)
    # then
    assert report.created == 2


def test_an_existing_incident_not_from_an_import_is_not_overwritten(
    make_user: Callable[..., User], tmp_path: Path
) -> None:
    # given: a Watchkeeper incident that already holds the number INC0001001
    caller = make_user("rita", Role.REQUESTER)
    native = create_incident(caller=caller, short_description="Mine", acting_user=caller)
    text = BAD.read_text().replace("INC0000001", native.number)
    export = tmp_path / "export.csv"
    export.write_text(text)
    # when
    report = import_servicenow_incidents(export)
    # then
    assert any(s.number == native.number and "not imported" in s.reason for s in report.skipped)
    native.refresh_from_db()
    assert native.short_description == "Mine"
    assert native.history_length == 1


def test_command_prints_the_summary_and_the_problems() -> None:
    # when
    output = run_command("servicenow-incidents", str(BAD), "--no-progress")
    # then
    assert "LEFT OUT line 12: incident_state -100" in output
    assert "SKIPPED INC0000002 (lines 6, 7): line 7:" in output
    assert "13 rows read: 2 incidents created, 0 unchanged, 3 skipped; 6 history entries" in output


def test_command_shows_progress_on_stderr() -> None:
    # given
    err = io.StringIO()
    # when
    call_command("import", "servicenow-incidents", str(BAD), stdout=io.StringIO(), stderr=err)
    # then
    assert err.getvalue().startswith("\r13 / 13 rows")


def test_command_refuses_a_missing_file_and_a_foreign_csv(tmp_path: Path) -> None:
    # given
    foreign = tmp_path / "other.csv"
    foreign.write_text("a,b\n1,2\n")
    # then
    with pytest.raises(CommandError, match="no such file"):
        run_command("servicenow-incidents", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="not a ServiceNow incident export"):
        run_command("servicenow-incidents", str(foreign))
    with pytest.raises(CommandError, match="unknown time zone"):
        run_command("servicenow-incidents", str(BAD), "--timezone", "Mars/Olympus")
