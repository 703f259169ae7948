"""``import_servicenow_incidents``: read the export in batches, write each batch, report.

A batch's incidents are written in one transaction; should it fail, its incidents are written
again one transaction each, so one bad incident never takes the others with it and is never
half-written. An incident already imported (its number exists, created by an import) is left
unchanged, so running the same file twice changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from watchkeeper.accounts.actions import set_members
from watchkeeper.core import history_bulk as chain
from watchkeeper.core.choices import Channel
from watchkeeper.core.models import HistoryEntry, NumberSequence
from watchkeeper.core.numbering import FIRST_NUMBER
from watchkeeper.incidents.importers.references import References
from watchkeeper.incidents.importers.servicenow import (
    ParsedIncident,
    count_rows,
    open_text,
    read_incidents,
    username_for,
)
from watchkeeper.incidents.importers.writer import write_incidents
from watchkeeper.incidents.models import Incident

BATCH_SIZE = 500
Progress = Callable[[int, int], None]


@dataclass
class Skipped:
    number: str
    lines: list[int]
    reason: str

    def __str__(self) -> str:
        lines = ", ".join(str(line) for line in self.lines[:10])
        more = f" (+{len(self.lines) - 10} more)" if len(self.lines) > 10 else ""
        return f"{self.number} (lines {lines}{more}): {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    left_out_rows: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    history_entries: int = 0
    references_created: dict[str, int] = field(default_factory=dict)
    highest_number: int = 0
    seconds: float = 0.0


class Importer:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.report = ImportReport()
        self.refs = References()
        self.progress = progress
        self.total = total
        self.members: dict[str, set[str]] = {}
        self.seen: set[str] = set()

    def run(self, incidents: Iterable[ParsedIncident], batch_size: int) -> None:
        batch: list[ParsedIncident] = []
        for incident in incidents:
            self.report.rows += len(incident.lines)
            self.report.left_out_rows.extend(incident.left_out)
            if incident.error is not None:
                self.skip(incident, f"line {incident.error.line}: {incident.error.reason}")
            else:
                batch.append(incident)
            if len(batch) >= batch_size:
                self.flush(batch)
                batch = []
        self.flush(batch)
        add_members(self.members, self.refs, self.report)
        raise_number_sequence(self.report.highest_number)
        self.report.references_created = dict(self.refs.created)

    def skip(self, incident: ParsedIncident, reason: str) -> None:
        self.report.skipped.append(Skipped(incident.number, incident.lines, reason))

    def flush(self, batch: list[ParsedIncident]) -> None:
        existing = imported_numbers([incident.number for incident in batch])
        new = [incident for incident in batch if self.is_new(incident, existing)]
        if new:
            self.refs.prepare(new)
            try:
                with transaction.atomic():
                    self.report.history_entries += write_incidents(new, self.refs)
                self.imported(new)
            except DatabaseError:
                for incident in new:
                    self.write_alone(incident)
        if self.progress is not None and batch:
            self.progress(self.report.rows, self.total)

    def is_new(self, incident: ParsedIncident, existing: dict[str, bool]) -> bool:
        """True when ``incident`` is new; counts it unchanged (or skips it) when it exists."""
        if incident.number in self.seen:
            self.skip(incident, f"more rows of {incident.number} after other incidents' rows")
            return False
        self.seen.add(incident.number)
        if incident.number not in existing:
            return True
        if existing[incident.number]:
            self.report.unchanged += 1
            self.remember(incident)
        else:
            self.skip(incident, f"{incident.number} exists already and was not imported")
        return False

    def write_alone(self, incident: ParsedIncident) -> None:
        try:
            with transaction.atomic():
                self.report.history_entries += write_incidents([incident], self.refs)
            self.imported([incident])
        except DatabaseError as error:
            self.skip(incident, f"not saved: {error}")

    def imported(self, incidents: list[ParsedIncident]) -> None:
        self.report.created += len(incidents)
        for incident in incidents:
            self.remember(incident)

    def remember(self, incident: ParsedIncident) -> None:
        """Note its number and which assignee worked in which group."""
        self.report.highest_number = max(self.report.highest_number, int(incident.number[3:]))
        for row in incident.rows:
            if row.assignment_group and row.assignee:
                self.members.setdefault(row.assignment_group, set()).add(row.assignee)


def imported_numbers(numbers: list[str]) -> dict[str, bool]:
    """Of ``numbers``, those that exist, each with whether an import created it."""
    existing = dict(Incident.objects.filter(number__in=numbers).values_list("pk", "number"))
    if not existing:
        return {}
    by_import = set(
        HistoryEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident),
            object_id__in=[str(pk) for pk in existing],
            sequence=1,
            channel=Channel.IMPORT,
        ).values_list("object_id", flat=True)
    )
    return {number: str(pk) in by_import for pk, number in existing.items()}


def add_members(members: dict[str, set[str]], refs: References, report: ImportReport) -> None:
    """Make each assignee a member of the groups they worked in (``set_members``, with history)."""
    for group_name, names in sorted(members.items()):
        group = refs.group(group_name)
        if group is None:
            continue
        current = list(group.members.all())
        have = {user.username for user in current}
        missing = [refs.users[username_for(name)] for name in sorted(names)]
        missing = [user for user in missing if user.username not in have]
        if not missing:
            continue
        try:
            set_members(group, [*current, *missing], acting_user=None, channel=Channel.IMPORT)
        except ValidationError as error:
            report.warnings.append(f"members of {group_name} not changed: {error.messages[0]}")


def raise_number_sequence(highest: int, prefix: str = Incident.NUMBER_PREFIX) -> None:
    """New incidents get numbers above every imported one."""
    if not highest:
        return
    with transaction.atomic():
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, last_value=FIRST_NUMBER - 1)], ignore_conflicts=True
        )
        sequence = NumberSequence.objects.select_for_update().get(prefix=prefix)
        if sequence.last_value < highest:
            sequence.last_value = highest
            sequence.save(update_fields=["last_value"])


def import_servicenow_incidents(
    path: Path,
    *,
    zone: str = "UTC",
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the export at ``path`` (.csv or .zip); see docs/import.md."""
    started = time.monotonic()
    chain.forget()
    importer = Importer(progress, count_rows(path))
    with open_text(path) as text:
        importer.run(read_incidents(text, zone), batch_size)
    importer.report.seconds = time.monotonic() - started
    return importer.report
