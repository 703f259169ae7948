"""``watchkeeper events source create NAME --kind KIND [--incident-severities critical,major]``:
a new event source; prints its token once (only a digest is kept), for the monitoring tool's
configuration. There is no page for sources yet."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.events.choices import SourceKind
from watchkeeper.events.sources import create_source


class Command(BaseCommand):
    help = "Event sources: create one and print its token."

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

    def handle(self, *args: Any, **options: Any) -> None:
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
