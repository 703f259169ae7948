"""The ``watchkeeper`` command: Watchkeeper's own commands, and Django's under ``manage``.

``serve``, ``worker`` and ``scheduler`` run the service; ``migrate``, ``createadmin``, ``demo``,
``token``, ``audit``, ``backup``, ``restore`` and ``check`` look after it. ``watchkeeper manage
<command>`` reaches any Django management command (``shell``, ``dbshell``, ``createsuperuser``…).
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: watchkeeper <command> [options]

  serve                     run the web server and the event processor (and, on the
                            embedded default, a job worker)
  worker                    run a job worker (enqueues no periodic jobs)
  scheduler                 run the one periodic scheduler (it also works jobs)
  migrate                   create or update the database tables
  createadmin USER --email EMAIL
                            create an administrator (password from WATCHKEEPER_ADMIN_PASSWORD,
                            else generated and printed)
  demo [--if-empty]         load the demo organisation
  token create USER --name NAME [--scope read|write] [--expires DAYS]
                            create an API token and print it (only the token)
  audit verify              recompute every history chain; name the records that were altered
  audit run [--check KEY]   run the process audit checks (all, or one) and update the findings
  import servicenow-incidents FILE [--timezone ZONE]
                            load a ServiceNow incident audit export (.csv or .zip)
  reporting refresh [--full] bring the incident facts the KPIs read up to date (docs/kpis.md)
  backup [--output DIR]     write one archive: database snapshot, attachments, manifest
                            (default directory WATCHKEEPER_BACKUP_DIR, see docs/backup.md)
  restore ARCHIVE [--force] verify an archive, restore it, migrate and run audit verify
                            (--force replaces a database or files directory holding data)
  events source create NAME --kind KIND [--incident-severities critical,major]
                            create an event source and print its token (only the token)
  events process [--once]   the event processor: accepted events to alerts (serve runs it)
  events spool [--retry-failed]
                            what waits in the events spool; entries set aside, queued again
  send-event --url URL --resource HOST [--check SERVICE] --state STATE [--message TEXT]
                            send one event (token: --token or WATCHKEEPER_EVENT_TOKEN), for
                            Nagios and Icinga notification commands (docs/events-sources.md)
  check                     check the configuration and the connections
  version                   print the version
  manage COMMAND …          any Django management command

Configuration comes from WATCHKEEPER_* environment variables (see README.md)."""

ALIASES: dict[str, list[str]] = {
    "check": ["checkup"],
    "send-event": ["send_event"],
    "worker": ["run_huey", "--no-periodic"],
    "scheduler": ["run_huey", "--workers", "1"],
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    if args[0] in {"version", "--version"}:
        from watchkeeper import __version__

        print(f"watchkeeper {__version__}")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
    command = args[1:] if args[0] == "manage" else [*ALIASES.get(args[0], [args[0]]), *args[1:]]
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["watchkeeper", *command])
    except ImproperlyConfigured as error:
        print(f"watchkeeper: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
