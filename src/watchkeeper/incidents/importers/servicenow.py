"""Reading a ServiceNow incident audit export (one row per update) into parsed incidents.

The file is the one SOURCE.md of ``uci-incident-event-log`` describes: a CSV (or a zip holding one
CSV) with a header, ``?`` for a missing value, day-first timestamps ``d/m/yyyy HH:MM`` without a
time zone, and the rows of one incident contiguous, oldest first. Nothing here touches the
database: ``read_incidents`` yields each incident's rows parsed and checked, or the reason it
cannot be imported (with the line numbers), and ``import_file`` (in ``importers.run``) writes them.
See docs/import.md for the mapping tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO
from zoneinfo import ZoneInfo

from watchkeeper.core.choices import Channel
from watchkeeper.incidents.choices import HoldReason, IncidentState, ResolutionCode

MISSING = "?"
#: A row's values once cleaned: stripped, ``None`` where missing.
Values = dict[str, str | None]
EMPTY = frozenset({"", MISSING, None})
NUMBER = re.compile(r"^INC\d{7}$")
TIMESTAMP = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})$")
LEVEL = re.compile(r"^([1-5]) - \w+$")

#: ServiceNow state -> (Watchkeeper state, hold reason).
STATES: dict[str, tuple[str, str]] = {
    "New": (IncidentState.NEW, ""),
    "Active": (IncidentState.IN_PROGRESS, ""),
    "Awaiting User Info": (IncidentState.ON_HOLD, HoldReason.AWAITING_CALLER),
    "Awaiting Evidence": (IncidentState.ON_HOLD, HoldReason.AWAITING_CALLER),
    "Awaiting Vendor": (IncidentState.ON_HOLD, HoldReason.AWAITING_VENDOR),
    "Awaiting Problem": (IncidentState.ON_HOLD, HoldReason.AWAITING_PROBLEM),
    "Resolved": (IncidentState.RESOLVED, ""),
    "Closed": (IncidentState.CLOSED, ""),
}
#: The audit system's placeholder state: such a row is left out (and reported), not the incident.
PLACEHOLDER_STATE = "-100"

CONTACT_TYPES: dict[str, str] = {
    "Phone": Channel.PHONE,
    "IVR": Channel.PHONE,
    "Email": Channel.EMAIL,
    "Self service": Channel.PORTAL,
    "Direct opening": Channel.WALK_IN,
    MISSING: Channel.IMPORT,
}

#: The export anonymised ServiceNow's close codes as "code N". Codes 1-7 are taken, in order, as
#: ServiceNow's seven default close codes; any other code as "Solved (permanently)". The original
#: code is kept in the resolution notes and the history either way.
CLOSE_CODES: dict[str, str] = {
    "code 1": ResolutionCode.SOLVED_WORKAROUND,
    "code 2": ResolutionCode.SOLVED_PERMANENTLY,
    "code 3": ResolutionCode.SOLVED_REMOTELY_WORKAROUND,
    "code 4": ResolutionCode.SOLVED_REMOTELY_PERMANENTLY,
    "code 5": ResolutionCode.NOT_REPRODUCIBLE,
    "code 6": ResolutionCode.TOO_COSTLY,
    "code 7": ResolutionCode.RESOLVED_BY_CALLER,
}
DEFAULT_CLOSE_CODE = ResolutionCode.SOLVED_PERMANENTLY

REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "reassignment_count",
    "reopen_count",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
)
#: Columns without a field of their own, kept in the history as they change.
HISTORY_ONLY_COLUMNS = (
    "made_sla",
    "location",
    "u_symptom",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
)


class RowError(ValueError):
    """A row that cannot be imported; its incident is skipped whole."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class FileFormatError(ValueError):
    """The file is not a ServiceNow incident export at all (nothing is imported)."""


@dataclass
class Row:
    """One update of an incident, parsed; names are the anonymised values (``Caller 2403``)."""

    line: int
    number: str
    at: dt.datetime
    updated_by: str
    state: str
    hold_reason: str
    servicenow_state: str
    opened_at: dt.datetime
    caller: str
    opened_by: str | None
    channel: str
    category: str | None
    subcategory: str | None
    configuration_item: str | None
    impact: int
    urgency: int
    priority: int
    assignment_group: str | None
    assignee: str | None
    reassignment_count: int
    reopen_count: int
    closed_code: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    extra: dict[str, str | None] = field(default_factory=dict)


@dataclass
class ParsedIncident:
    number: str
    lines: list[int]
    rows: list[Row] = field(default_factory=list)
    left_out: list[tuple[int, str]] = field(default_factory=list)
    error: RowError | None = None


# --- reading the file -------------------------------------------------------------------------


def is_csv_entry(name: str) -> bool:
    """A .csv in a zip, not macOS's resource-fork shadow of one (``__MACOSX/._x.csv``)."""
    base = PurePosixPath(name)
    return base.suffix.lower() == ".csv" and not (
        base.name.startswith("._") or "__MACOSX" in base.parts
    )


@contextmanager
def open_text(path: Path) -> Iterator[IO[str]]:
    """The CSV's text, from the .csv itself or from the one .csv inside a .zip."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if is_csv_entry(name)]
            if len(names) != 1:
                raise FileFormatError(
                    f"{path} must hold exactly one .csv file ({len(names)} found)"
                )
            with archive.open(names[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return
    with path.open(encoding="utf-8-sig", newline="") as text:
        yield text


def count_rows(path: Path) -> int:
    """The number of data rows (lines less the header), for the progress bar."""
    lines = 0
    with open_text(path) as text:
        for chunk in iter(lambda: text.read(1 << 20), ""):
            lines += chunk.count("\n")
    return max(lines - 1, 0)


def read_rows(text: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` pairs; the header is line 1."""
    reader = csv.DictReader(text)
    missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise FileFormatError(f"not a ServiceNow incident export: no column {', '.join(missing)}")
    line = 1
    for row in reader:
        line = reader.line_num
        yield line, row


def group_by_incident(
    rows: Iterable[tuple[int, dict[str, str]]],
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    """The rows of each incident together (they are contiguous in the export)."""
    group: list[tuple[int, dict[str, str]]] = []
    for line, row in rows:
        if group and row["number"] != group[0][1]["number"]:
            yield group
            group = []
        group.append((line, row))
    if group:
        yield group


# --- parsing values ---------------------------------------------------------------------------


@lru_cache(maxsize=1 << 17)
def parse_timestamp(text: str, zone: str) -> dt.datetime:
    match = TIMESTAMP.match(text)
    if match is None:
        raise ValueError(text)
    day, month, year, hour, minute = (int(part) for part in match.groups())
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def cleaned(raw: dict[str, str]) -> Values:
    """The row's values with ``None`` for a missing one (``?`` or empty); values are taken as
    they are (the export pads none), which keeps reading 140,000 rows quick."""
    return {key: (None if value in EMPTY else value) for key, value in raw.items() if key}


def optional(raw: Values, column: str) -> str | None:
    return raw.get(column)


def required(raw: Values, column: str, line: int) -> str:
    value = optional(raw, column)
    if value is None:
        raise RowError(line, f"{column} is missing")
    return value


def timestamp(raw: Values, column: str, line: int, zone: str) -> dt.datetime | None:
    value = optional(raw, column)
    if value is None:
        return None
    try:
        return parse_timestamp(value, zone)
    except ValueError:
        raise RowError(line, f"{column} {value!r} is not a date d/m/yyyy HH:MM") from None


@lru_cache(maxsize=64)
def parse_level(value: str, highest: int) -> int | None:
    match = LEVEL.match(value)
    if match is None or int(match.group(1)) > highest:
        return None
    return int(match.group(1))


def level(raw: Values, column: str, line: int, highest: int) -> int:
    value = required(raw, column, line)
    parsed = parse_level(value, highest)
    if parsed is None:
        raise RowError(line, f"{column} {value!r} is not a level 1-{highest} like '2 - Medium'")
    return parsed


def count(raw: Values, column: str, line: int) -> int:
    value = required(raw, column, line)
    if not value.isdigit():
        raise RowError(line, f"{column} {value!r} is not a whole number")
    return int(value)


def state(raw: Values, line: int) -> tuple[str, str]:
    value = required(raw, "incident_state", line)
    if value not in STATES:
        raise RowError(line, f"unknown incident_state {value!r}")
    return STATES[value]


def channel(raw: Values, line: int) -> str:
    value = raw.get("contact_type") or MISSING
    if value not in CONTACT_TYPES:
        raise RowError(line, f"unknown contact_type {value!r}")
    return CONTACT_TYPES[value]


def closed_code(raw: Values, line: int) -> str | None:
    value = optional(raw, "closed_code")
    if value is not None and not re.fullmatch(r"code \d+", value):
        raise RowError(line, f"closed_code {value!r} is not like 'code 5'")
    return value


def resolution_code(code: str | None) -> str:
    return CLOSE_CODES.get(code or "", DEFAULT_CLOSE_CODE)


def parse_row(line: int, row: dict[str, str], zone: str) -> Row:
    """One row, checked; raises ``RowError`` naming the line and the first problem."""
    raw = cleaned(row)
    number = required(raw, "number", line)
    if not NUMBER.match(number):
        raise RowError(line, f"number {number!r} is not like INC0000045")
    wk_state, hold_reason = state(raw, line)
    return Row(
        line=line,
        number=number,
        at=_required_time(raw, "sys_updated_at", line, zone),
        updated_by=required(raw, "sys_updated_by", line),
        state=wk_state,
        hold_reason=hold_reason,
        servicenow_state=str(raw["incident_state"]),
        opened_at=_required_time(raw, "opened_at", line, zone),
        caller=required(raw, "caller_id", line),
        opened_by=optional(raw, "opened_by"),
        channel=channel(raw, line),
        category=optional(raw, "category"),
        subcategory=optional(raw, "subcategory"),
        configuration_item=optional(raw, "cmdb_ci"),
        impact=level(raw, "impact", line, 3),
        urgency=level(raw, "urgency", line, 3),
        priority=level(raw, "priority", line, 5),
        assignment_group=optional(raw, "assignment_group"),
        assignee=optional(raw, "assigned_to"),
        reassignment_count=count(raw, "reassignment_count", line),
        reopen_count=count(raw, "reopen_count", line),
        closed_code=closed_code(raw, line),
        resolved_by=optional(raw, "resolved_by"),
        resolved_at=timestamp(raw, "resolved_at", line, zone),
        closed_at=timestamp(raw, "closed_at", line, zone),
        extra={column: optional(raw, column) for column in HISTORY_ONLY_COLUMNS if column in raw},
    )


def _required_time(raw: Values, column: str, line: int, zone: str) -> dt.datetime:
    value = timestamp(raw, column, line, zone)
    if value is None:
        raise RowError(line, f"{column} is missing")
    return value


def parse_incident(rows: list[tuple[int, dict[str, str]]], zone: str) -> ParsedIncident:
    """All rows of one incident; the first bad row marks the whole incident as not importable."""
    parsed = ParsedIncident(number=rows[0][1]["number"].strip(), lines=[ln for ln, _ in rows])
    for line, raw in rows:
        if (raw.get("incident_state") or "").strip() == PLACEHOLDER_STATE:
            parsed.left_out.append((line, f"incident_state {PLACEHOLDER_STATE} (row left out)"))
            continue
        try:
            parsed.rows.append(parse_row(line, raw, zone))
        except RowError as error:
            parsed.error = error
            return parsed
    if not parsed.rows:
        parsed.error = RowError(rows[0][0], "no importable row")
    return parsed


def read_incidents(text: IO[str], zone: str) -> Iterator[ParsedIncident]:
    for rows in group_by_incident(read_rows(text)):
        yield parse_incident(rows, zone)


# --- naming -----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def username_for(name: str) -> str:
    """``"Caller 2403"`` -> ``"caller-2403"``, ``"Opened by  8"`` -> ``"opened-by-8"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:150]


def person_names(name: str) -> tuple[str, str]:
    """First and last name from an anonymised value: ``"Caller 2403"`` -> ("Caller", "2403")."""
    words = name.split()
    if len(words) < 2:
        return name[:150], ""
    return " ".join(words[:-1])[:150], words[-1][:150]


def short_description(row: Row) -> str:
    parts = [row.category, row.subcategory, row.extra.get("u_symptom")]
    text = " / ".join(part for part in parts if part) or "no category"
    return f"Imported from ServiceNow: {text}"[:160]
