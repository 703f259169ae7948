"""Writing parsed ServiceNow incidents: the incident rows, their history chains, their search text.

This is the import's write action. Each file row becomes one history entry dated as in the file
(``sys_updated_at``), by the user ``sys_updated_by``, channel "import"; the incident itself holds
the values of its last row. Incidents are created in bulk inside the caller's transaction, which
holds whole incidents only, so an incident is never half-imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.base import ModelState

from watchkeeper.core import bulk as sql
from watchkeeper.core.choices import Channel
from watchkeeper.core.history_bulk import ENTRY_FIELDS, SEARCH_FIELDS, Change, chain
from watchkeeper.core.models import HistoryEntry, SearchEntry
from watchkeeper.incidents.choices import ITIL_MATRIX, IncidentState
from watchkeeper.incidents.importers.references import References
from watchkeeper.incidents.importers.servicenow import (
    ParsedIncident,
    Row,
    resolution_code,
    short_description,
)
from watchkeeper.incidents.models import Incident

DONE_STATES = (IncidentState.RESOLVED, IncidentState.CLOSED)
OVERRIDE_REASON = "Priority as set in ServiceNow (imported)."
MOVES: dict[str, str] = {
    IncidentState.IN_PROGRESS: "work_started",
    IncidentState.ON_HOLD: "put_on_hold",
    IncidentState.RESOLVED: "resolved",
    IncidentState.CLOSED: "closed",
}


def stretch_starts(rows: Sequence[Row], states: tuple[str, ...]) -> list[dt.datetime | None]:
    """For each row in one of ``states``: when the incident entered them (else ``None``)."""
    starts: list[dt.datetime | None] = []
    since: dt.datetime | None = None
    for row in rows:
        since = (since or row.at) if row.state in states else None
        starts.append(since)
    return starts


def resolution_times(rows: Sequence[Row]) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
    """``(resolved_at, closed_at)`` at each row.

    The file's ``resolved_at`` and ``closed_at`` columns hold the final values on every row, so
    they date only the last resolution and closure; an earlier resolution (later reopened) is
    dated by the row that entered it, as is one the file leaves without a date.
    """
    final = rows[-1]
    resolved, closed = stretch_starts(rows, DONE_STATES), stretch_starts(rows, ("closed",))
    times = []
    for resolved_since, closed_since in zip(resolved, closed, strict=True):
        last_resolved = resolved_since is not None and resolved_since == resolved[-1]
        last_closed = closed_since is not None and closed_since == closed[-1]
        times.append(
            (
                (final.resolved_at if last_resolved else None) or resolved_since,
                (final.closed_at if last_closed else None) or closed_since,
            )
        )
    return times


def row_values(row: Row, times: tuple[Any, Any], refs: References) -> dict[str, Any]:
    """The incident's fields as this row shows them, plus the ServiceNow columns kept in history."""
    done = row.state in DONE_STATES
    values: dict[str, Any] = {
        "state": row.state,
        "hold_reason": row.hold_reason,
        "caller": refs.user(row.caller),
        "opened_by": refs.user(row.opened_by),
        "channel": row.channel,
        "category": refs.category(row.category),
        "subcategory": refs.subcategory(row.category, row.subcategory),
        "configuration_item": refs.ci(row.configuration_item),
        "impact": row.impact,
        "urgency": row.urgency,
        "priority": row.priority,
        "assignment_group": refs.group(row.assignment_group),
        "assignee": refs.user(row.assignee),
        "reassignment_count": row.reassignment_count,
        "reopen_count": row.reopen_count,
        "resolution_code": resolution_code(row.closed_code) if done else "",
        "resolution_notes": f"ServiceNow close code: {row.closed_code or 'none'}" if done else "",
        "resolved_by": refs.user(row.resolved_by) if done else None,
        "resolved_at": times[0],
        "closed_at": times[1],
    }
    values["servicenow_state"] = row.servicenow_state
    values.update(row.extra)
    return values


def action_for(old_state: str, new_state: str) -> str:
    """The name of the lifecycle move between two rows, as the incident actions name theirs."""
    if old_state == new_state:
        return "updated"
    if old_state in DONE_STATES and new_state not in DONE_STATES:
        return "reopened"
    return MOVES.get(new_state, "updated")


def history(incident: ParsedIncident, refs: References) -> tuple[list[Change], dict[str, Any]]:
    """One change per row (the first one "created"), and the values of the last row."""
    changes: list[Change] = []
    previous: dict[str, Any] = {}
    times = resolution_times(incident.rows)
    for row, row_times in zip(incident.rows, times, strict=True):
        values = row_values(row, row_times, refs)
        actor = refs.user(row.updated_by)
        if not previous:
            created = {name: (None, value) for name, value in values.items() if value}
            changes.append(Change(row.at, "created", created, actor))
        else:
            changed = {
                name: (previous.get(name), value)
                for name, value in values.items()
                if previous.get(name) is not value and previous.get(name) != value
            }
            action = action_for(previous["state"], row.state)
            changes.append(Change(row.at, action, changed, actor))
        previous = values
    return changes, previous


def first_time(rows: Sequence[Row], test: Any) -> dt.datetime | None:
    return next((row.at for row in rows if test(row)), None)


@cache
def incident_columns() -> dict[str, str]:
    """Field name -> attribute name (``caller`` -> ``caller_id``) of every column."""
    return {field.name: field.attname for field in Incident._meta.concrete_fields}


@cache
def incident_defaults() -> dict[str, Any]:
    return {field.attname: field.get_default() for field in Incident._meta.concrete_fields}


def new_incident(values: dict[str, Any]) -> Incident:
    """An unsaved ``Incident`` with ``values`` (by field name) and defaults elsewhere.

    Built without ``Model.__init__``, which at 25,000 incidents of 40 columns costs seconds;
    related records are given by their ids, as a row read from the database holds them.
    """
    columns = incident_columns()
    incident = Incident.__new__(Incident)
    incident.__dict__.update(incident_defaults())
    for name, value in values.items():
        attname = columns[name]
        incident.__dict__[attname] = value.pk if attname != name and value is not None else value
    incident._state = ModelState()
    return incident


def build_incident(incident: ParsedIncident, values: dict[str, Any]) -> Incident:
    """The incident as its last row shows it (not saved)."""
    rows, last = incident.rows, incident.rows[-1]
    fields = {name: value for name, value in values.items() if name in incident_columns()}
    priority = ITIL_MATRIX.get((last.impact, last.urgency))
    return new_incident(
        {
            **fields,
            "number": incident.number,
            "short_description": short_description(last),
            "version": len(rows),
            "first_response_at": first_time(rows, lambda row: row.state != IncidentState.NEW),
            "assigned_at": first_time(rows, lambda row: row.assignee is not None),
            "priority_override_reason": OVERRIDE_REASON if priority != last.priority else "",
            "created_at": rows[0].opened_at,
            "updated_at": last.at,
        }
    )


def write_incidents(incidents: list[ParsedIncident], refs: References) -> int:
    """Create ``incidents`` with their history and search text; the number of entries written.

    Runs inside the caller's transaction: the rows, the chains and their heads go in together.
    """
    built, histories = [], []
    for parsed in incidents:
        changes, values = history(parsed, refs)
        built.append(build_incident(parsed, values))
        histories.append(changes)
    sql.insert_all(Incident, built)  # keeps created_at and updated_at as in the file
    ids = dict(
        Incident.objects.filter(number__in=[i.number for i in built]).values_list("number", "pk")
    )
    entries: list[HistoryEntry] = []
    for incident, changes in zip(built, histories, strict=True):
        incident.pk = ids[incident.number]
        entries.extend(chain(incident, changes, channel=Channel.IMPORT))
    sql.insert(HistoryEntry, ENTRY_FIELDS, entries)
    sql.update(Incident, ["history_length", "history_hash"], built)
    index(built)
    return len(entries)


def index(incidents: list[Incident]) -> None:
    """Their search text: number, short description and description, as ``reindex`` writes it."""
    content_type = ContentType.objects.get_for_model(Incident)
    entries = [
        SearchEntry.for_record(
            content_type.pk,
            incident.pk,
            "\n".join([incident.number, incident.short_description, incident.description]),
        )
        for incident in incidents
    ]
    sql.insert(SearchEntry, SEARCH_FIELDS, entries)
