"""``watchkeeper events …``:

- ``source create NAME --kind KIND [--incident-severities critical,major]``: a new event source;
  prints its token once (only a digest is kept), for the monitoring tool's configuration;
- ``process [--once]``: the event processor, moving accepted events from the spool into alerts
  (``watchkeeper serve`` runs it; ``--once`` processes what is waiting and stops);
- ``spool [--retry-failed]``: what waits in the spool, and the entries set aside as failed.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.events import processor, spool
from watchkeeper.events.choices import SourceKind
from watchkeeper.events.sources import create_source

#: The processor yields the processors to the web server: under a storm of events, the API keeps
#: taking them (and answering within milliseconds) while the alerts catch up.
PROCESSOR_NICENESS = 19


class Command(BaseCommand):
    help = "Event sources, the event processor and its spool."

    def add_arguments(self, parser: CommandParser) -> None:
        things = parser.add_subparsers(dest="thing", required=True)
        source = things.add_parser("source", help="event sources")
        verbs = source.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="create a source and print its token")
        create.add_argument("name", help="a short name: letters, digits, - and _")
        create.add_argument("--kind", choices=SourceKind.values, default=SourceKind.GENERIC)
        create.add_argument(
            "--incident-severities",
            default="",
            help="comma-separated severities whose alerts open an incident, e.g. critical,major",
        )
        create.add_argument("--key-template", default="", help="de-duplication key template")
        create.add_argument("--description", default="")
        create.add_argument(
            "--no-resolve",
            action="store_true",
            help="leave incidents open when their alert clears",
        )

        process = things.add_parser("process", help="run the event processor")
        process.add_argument("--once", action="store_true", help="process what waits, then stop")
        waiting = things.add_parser("spool", help="show the events spool")
        waiting.add_argument("--retry-failed", action="store_true", help="queue failed again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["thing"] == "process":
            self.process(once=options["once"])
        elif options["thing"] == "spool":
            self.show_spool(retry=options["retry_failed"])
        else:
            self.create_source(options)

    def process(self, *, once: bool) -> None:
        if once:
            self.stdout.write(f"{processor.drain()} events processed.")
            return
        os.nice(PROCESSOR_NICENESS)  # taking events in comes first; alerts follow
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Processing events from {settings.EVENTS_SPOOL}.")
        self.stdout.flush()
        processor.run(stop)

    def show_spool(self, *, retry: bool) -> None:
        if retry:
            self.stdout.write(f"{spool.retry_failed()} failed entries queued again.")
        entries, events = spool.waiting()
        self.stdout.write(f"{settings.EVENTS_SPOOL}: {events} events in {entries} entries waiting.")
        for entry_id, count, error, at in spool.failed():
            self.stdout.write(f"failed entry {entry_id} ({count} events, {at}): {error}")

    def create_source(self, options: dict[str, Any]) -> None:
        severities = [s.strip() for s in options["incident_severities"].split(",") if s.strip()]
        try:
            _source, token = create_source(
                name=options["name"],
                acting_user=None,
                kind=options["kind"],
                incident_severities=severities,
                key_template=options["key_template"],
                description=options["description"],
                resolve_incidents=not options["no_resolve"],
            )
        except ValidationError as error:
            problems = getattr(error, "message_dict", {"": error.messages})
            text = "; ".join(
                f"{field}: {' '.join(m)}".lstrip(": ") for field, m in problems.items()
            )
            raise CommandError(text) from None
        self.stdout.write(token)
