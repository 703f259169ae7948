"""Restoring an archive: verify it whole first, refuse a target that holds data (unless forced),
then load the database, swap the uploaded files in, migrate and verify every history chain.

Until the database is loaded, the only things written are temporary files beside their targets,
removed again on any failure: a refused archive changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder

from watchkeeper.core.backup import CHUNK, FILES_DIR, MANIFEST, ArchiveError
from watchkeeper.core.backup import database as db
from watchkeeper.core.backup.verify import VerifiedArchive, check_member_name, verify_archive
from watchkeeper.core.history import ChainProblem, verify_history

CHECKED_MODELS = ("accounts.User", "incidents.Incident")


class RestoreFailed(Exception):
    """The restore had begun changing the target when it failed; the message says what is left."""


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    files: int
    migrations_applied: list[str] = field(default_factory=list)
    history_entries: int = 0
    history_problems: list[ChainProblem] = field(default_factory=list)


def restore_archive(
    path: Path, *, force: bool = False, say: Callable[[str], None] = lambda _: None
) -> RestoreResult:
    """Restore ``path`` into the configured database and ``MEDIA_ROOT``.

    Raises ``ArchiveError`` (nothing changed) or ``RestoreFailed`` (something was changed).
    """
    archive = verify_archive(path)
    say(describe(archive))
    try:
        problem = target_problem()
    except DatabaseError as error:
        raise ArchiveError(f"The configured database cannot be used: {error}".strip()) from None
    if problem and not force:
        raise ArchiveError(
            f"{problem}. Restore into an empty data directory and database, or add --force to "
            "replace what is there."
        )
    load(archive)
    say(f"Database and {len(archive.file_members)} file(s) restored.")
    result = RestoreResult(archive.manifest, len(archive.file_members))
    try:
        result.migrations_applied = migrate()
    except Exception as error:
        raise RestoreFailed(
            f"The archive was restored but migrating it failed: {error}. Fix the cause, then run "
            "`watchkeeper migrate` and `watchkeeper audit verify`."
        ) from error
    entries = apps.get_model("core", "HistoryEntry")
    result.history_problems = verify_history()
    result.history_entries = entries._default_manager.count()
    return result


def describe(archive: VerifiedArchive) -> str:
    manifest = archive.manifest
    recorded = manifest.get("counts")
    recorded = recorded if isinstance(recorded, dict) else {}
    counts = ", ".join(f"{n} {label.replace('_', ' ')}" for label, n in recorded.items())
    return (
        f"{archive.path.name}: Watchkeeper {manifest['watchkeeper_version']} "
        f"(Django {manifest['django_version']}, {manifest['database']['vendor']}), taken "
        f"{manifest['created_at']}; {counts or 'no record counts'}; "
        f"{len(archive.file_members)} file(s). Checksums verified."
    )


def target_problem() -> str | None:
    """Why restoring here would overwrite something, or None for an empty target."""
    problems = []
    if database_has_data():
        problems.append("the configured database already holds Watchkeeper users or incidents")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(path.is_file() for path in media.rglob("*")):
        problems.append(f"{media} is not empty")
    if not problems:
        return None
    text = " and ".join(problems)
    return text[0].upper() + text[1:]


def database_has_data() -> bool:
    if db.vendor() == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        if not name.exists() or name.stat().st_size == 0:
            return False  # connecting would create the file: leave it alone
    tables = set(connection.introspection.table_names())
    for label in CHECKED_MODELS:
        model = apps.get_model(label)
        if model._meta.db_table in tables and model._default_manager.exists():
            return True
    return False


def load(archive: VerifiedArchive) -> None:
    """Extract beside the targets, then load the database and swap the files in."""
    media = Path(settings.MEDIA_ROOT)
    media.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".watchkeeper-restore-", dir=media.parent))
    fd, name = tempfile.mkstemp(prefix=".watchkeeper-restore-", dir=db.staging_dir(stage))
    os.close(fd)
    snapshot = Path(name)
    try:
        extract(archive, snapshot, stage)
        db.load_database(snapshot)
        try:
            swap_media(stage / FILES_DIR, media)
        except OSError as error:
            raise RestoreFailed(
                f"The database was restored but the files could not be put in {media}: {error}. "
                f"Restore again with --force once the cause is fixed."
            ) from error
    finally:
        snapshot.unlink(missing_ok=True)
        shutil.rmtree(stage, ignore_errors=True)


def extract(archive: VerifiedArchive, snapshot: Path, stage: Path) -> None:
    """Write the database member to ``snapshot`` and the files under ``stage``, checking each
    member against the manifest again (the archive may have changed since it was verified)."""
    expected: dict[str, dict[str, Any]] = archive.manifest["members"]
    (stage / FILES_DIR).mkdir()
    seen = set()
    try:
        with tarfile.open(archive.path, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                check_member_name(member.name)
                handle = tar.extractfile(member) if member.name in expected else None
                if handle is None or member.name in seen:
                    raise ArchiveError(f"{archive.path.name} changed while it was restored.")
                target = snapshot if member.name == archive.database_member else stage / member.name
                entry = expected[member.name]
                if copy_member(handle, target) != {
                    "sha256": entry["sha256"],
                    "size": entry["size"],
                }:
                    raise ArchiveError(f"{member.name} changed while the archive was restored.")
                seen.add(member.name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise ArchiveError(f"{archive.path.name} could not be extracted ({error}).") from None
    if seen != set(expected):
        raise ArchiveError(f"{archive.path.name} changed while it was restored.")


def copy_member(handle: IO[bytes], target: Path) -> dict[str, Any]:
    """Copy one member to ``target``; its sha256 and size as the manifest records them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def swap_media(new_root: Path, media: Path) -> None:
    """Put the restored files in place of ``MEDIA_ROOT`` by two renames, then drop the old."""
    old = None
    if media.exists() or media.is_symlink():
        old = media.with_name(f".{media.name}.replaced-{secrets.token_hex(4)}")
        os.replace(media, old)
    os.replace(new_root, media)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def migrate() -> list[str]:
    """Bring an archive from an older version up to date; the migrations that were applied."""
    before = set(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", interactive=False, verbosity=0)
    after = set(MigrationRecorder(connection).applied_migrations())
    return sorted(f"{app}.{name}" for app, name in after - before)
