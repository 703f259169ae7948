"""``watchkeeper import servicenow-incidents FILE``: load a ServiceNow incident audit export."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.incidents.importers.run import ImportReport, import_servicenow_incidents
from watchkeeper.incidents.importers.servicenow import FileFormatError

MAX_LISTED = 50


class Command(BaseCommand):
    help = "Import records from another tool."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        servicenow = sub.add_parser(
            "servicenow-incidents",
            help="a ServiceNow incident audit export (.csv, or a .zip holding one .csv)",
        )
        servicenow.add_argument("file", type=Path)
        servicenow.add_argument(
            "--timezone",
            default=None,
            help="time zone of the file's timestamps (default: WATCHKEEPER_TIME_ZONE)",
        )
        servicenow.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        zone = options["timezone"] or settings.TIME_ZONE
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"unknown time zone {zone!r}") from None
        progress = None if options["no_progress"] else self.progress
        try:
            report = import_servicenow_incidents(path, zone=zone, progress=progress)
        except (FileFormatError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from None
        if progress is not None:
            self.stderr.write("")
        self.write_report(report)
        self.refresh_reporting()

    def refresh_reporting(self) -> None:
        """Imported incidents keep the file's ``updated_at``, which an incremental refresh of
        the reporting facts would not see: rebuild them now so the KPIs include the import."""
        from watchkeeper.reporting.facts import refresh_facts

        count = refresh_facts(full=True)
        self.stdout.write(f"Reporting facts rebuilt for {count:,} incidents.")

    def progress(self, done: int, total: int) -> None:
        self.stderr.write(f"\r{done:,} / {total:,} rows", ending="")
        self.stderr.flush()

    def write_report(self, report: ImportReport) -> None:
        for line, reason in report.left_out_rows[:MAX_LISTED]:
            self.stdout.write(f"LEFT OUT line {line}: {reason}")
        for skipped in report.skipped[:MAX_LISTED]:
            self.stdout.write(f"SKIPPED {skipped}")
        if len(report.skipped) > MAX_LISTED:
            self.stdout.write(f"… and {len(report.skipped) - MAX_LISTED} more skipped incidents")
        for warning in report.warnings:
            self.stdout.write(f"WARNING {warning}")
        created = ", ".join(f"{n} {kind}" for kind, n in sorted(report.references_created.items()))
        self.stdout.write(
            f"{report.rows:,} rows read: {report.created:,} incidents created, "
            f"{report.unchanged:,} unchanged, {len(report.skipped):,} skipped; "
            f"{report.history_entries:,} history entries written; "
            f"{len(report.left_out_rows):,} rows left out; {report.seconds:.1f} s."
        )
        if created:
            self.stdout.write(f"Also created: {created}.")
