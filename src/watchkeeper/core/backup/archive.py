"""Writing an archive: the database snapshot, the uploaded files and ``manifest.json``.

The database is snapshot first and the files archived after it, so every attachment row in the
snapshot has its file (files are stored before their row commits). The archive is written under a
hidden temporary name in the target directory and renamed only once complete, so a half-written
archive never carries a final name. The secret key, the job queue and older archives stay out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import django
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from watchkeeper import __version__
from watchkeeper.core.backup import (
    ARCHIVE_PREFIX,
    ARCHIVE_SUFFIX,
    FILES_DIR,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
)
from watchkeeper.core.backup import database as db

Members = dict[str, dict[str, Any]]
# Record counts in the manifest, for the operator to compare after a restore.
COUNTED = {
    "users": "accounts.User",
    "support_groups": "accounts.SupportGroup",
    "incidents": "incidents.Incident",
    "comments_and_notes": "incidents.Activity",
    "attachments": "incidents.Attachment",
    "configuration_items": "cmdb.ConfigurationItem",
    "history_entries": "core.HistoryEntry",
}


class HashingReader:
    """Hands a file to ``tarfile`` and hashes exactly the bytes that went into the archive."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def create_backup(output_dir: Path | None = None) -> Path:
    """Write one archive into ``output_dir`` (default ``BACKUP_DIR``); returns its path."""
    directory = Path(output_dir or settings.BACKUP_DIR).resolve()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = timezone.now().replace(microsecond=0)
    fd, partial = tempfile.mkstemp(prefix=f".{ARCHIVE_PREFIX}", suffix=".partial", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            _write_archive(raw, directory, created)
            raw.flush()
            os.fsync(raw.fileno())
        final = _free_name(directory, created)
        os.replace(partial, final)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return final


def _free_name(directory: Path, created: dt.datetime) -> Path:
    """``watchkeeper-backup-20261126T073000Z.tar.gz``; "-1", "-2"… if that name is taken."""
    stem = f"{ARCHIVE_PREFIX}{created.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    candidate, number = directory / f"{stem}{ARCHIVE_SUFFIX}", 0
    while candidate.exists():
        number += 1
        candidate = directory / f"{stem}-{number}{ARCHIVE_SUFFIX}"
    return candidate


def _write_archive(raw: BinaryIO, directory: Path, created: dt.datetime) -> None:
    members: Members = {}
    migrations = applied_migrations()
    with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
        with tempfile.TemporaryDirectory(prefix=f".{ARCHIVE_PREFIX}", dir=directory) as tmp:
            snapshot = Path(tmp) / "database"
            db.dump_database(snapshot)
            _add_file(tar, snapshot, db.member_name(), members, created)
        excluded = {directory, Path(settings.BACKUP_DIR).resolve()}
        for path, name in media_files(excluded):
            try:
                _add_file(tar, path, name, members, created)
            except FileNotFoundError:  # deleted since it was listed: not part of this backup
                continue
        manifest = build_manifest(created, members, migrations)
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), created)


def _add_file(
    tar: tarfile.TarFile, path: Path, name: str, members: Members, created: dt.datetime
) -> None:
    info = _tar_info(name, path.stat().st_size, created)
    with path.open("rb") as handle:
        reader = HashingReader(handle)
        tar.addfile(info, cast(BinaryIO, reader))
    members[name] = {"sha256": reader.digest.hexdigest(), "size": reader.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, created: dt.datetime) -> None:
    tar.addfile(_tar_info(name, len(data), created), io.BytesIO(data))


def _tar_info(name: str, size: int, created: dt.datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(created.timestamp())
    return info


def media_files(excluded: set[Path]) -> Iterator[tuple[Path, str]]:
    """Regular files under ``MEDIA_ROOT`` (symbolic links not followed), with their member
    names; never anything inside ``excluded`` (backup directories, should one lie in there)."""
    root = Path(settings.MEDIA_ROOT).resolve()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in excluded)
        for filename in sorted(files):
            path = here / filename
            if path.is_file() and not path.is_symlink():
                yield path, f"{FILES_DIR}/{path.relative_to(root).as_posix()}"


def applied_migrations() -> list[list[str]]:
    """The migrations recorded in the database, as ``[app, name]`` pairs."""
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def record_counts() -> dict[str, int]:
    counts = {}
    for label, model_name in COUNTED.items():
        try:
            model = apps.get_model(model_name)
        except LookupError:
            continue
        counts[label] = model._default_manager.count()
    return counts


def build_manifest(
    created: dt.datetime, members: Members, migrations: list[list[str]]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created.astimezone(dt.UTC).isoformat(),
        "watchkeeper_version": __version__,
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "database": {"vendor": db.vendor(), "member": db.member_name()},
        "migrations": migrations,
        "counts": record_counts(),
        "members": members,
    }
