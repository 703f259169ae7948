"""Snapshots of the configured database for an archive, and loading one back.

SQLite: the online backup API on Django's own connection, so a snapshot is consistent while the
server writes (WAL readers do not block writers); loading writes beside the database file and
renames over it. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` in one transaction.
The password reaches the PostgreSQL tools only through ``PGPASSWORD`` in their environment.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection, connections

from watchkeeper.core.backup import DATABASE_DIR, ArchiveError

SUFFIXES = {"sqlite": "sqlite3", "postgresql": "pgdump"}
TOOL_HINT = "install postgresql-client of the same major version as the server"


def vendor() -> str:
    """The configured database's vendor ("sqlite" or "postgresql"), without connecting."""
    return str(connection.vendor)


def member_name() -> str:
    """The archive member that holds the snapshot of the configured database."""
    if vendor() not in SUFFIXES:
        raise ArchiveError(f"Backups of a {vendor()} database are not supported.")
    return f"{DATABASE_DIR}/watchkeeper.{SUFFIXES[vendor()]}"


def dump_database(target: Path) -> None:
    """Write a consistent snapshot of the configured database to ``target``."""
    if vendor() == "sqlite":
        _sqlite_snapshot(target)
    elif vendor() == "postgresql":
        _run_tool("pg_dump", ["--format=custom", "--file", str(target)])
    else:
        raise ArchiveError(f"Backups of a {vendor()} database are not supported.")


def _sqlite_snapshot(target: Path) -> None:
    if connection.in_atomic_block:
        # SQLite's backup step waits forever for this connection's own open write transaction.
        raise ArchiveError("A backup is taken outside a transaction (it holds committed data).")
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
        # A standalone file: no WAL needed beside it (Django turns WAL on again when it opens it).
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def staging_dir(default: Path) -> Path:
    """Where to write the snapshot before loading it: beside the SQLite file, so the final rename
    is atomic; anywhere (``default``) for PostgreSQL."""
    if vendor() == "sqlite":
        path = Path(connection.settings_dict["NAME"]).parent
        path.mkdir(parents=True, exist_ok=True)
        return path
    return default


def load_database(snapshot: Path) -> None:
    """Replace the configured database's contents with ``snapshot`` (all or nothing)."""
    connections.close_all()
    if vendor() == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        # A WAL file left by the old database would be replayed into the new one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(snapshot, target)
        _fsync_dir(target.parent)
    else:
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run_tool("pg_restore", [*options, str(snapshot)])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connection_arguments(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for the PostgreSQL tools; no secret on the line."""
    args = ["--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if config.get(key):
            args += [option, str(config[key])]
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    sslmode = (config.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run_tool(tool: str, args: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise ArchiveError(f"{tool} was not found on PATH: {TOOL_HINT}.")
    config = connection.settings_dict
    connection_args, env = _connection_arguments(config)
    command = [executable, *connection_args, f"--dbname={config['NAME']}", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip()[-2000:] or f"exit status {result.returncode}"
        raise ArchiveError(f"{tool} failed ({TOOL_HINT} if the versions differ): {detail}")
