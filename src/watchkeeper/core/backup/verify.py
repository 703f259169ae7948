"""Checking an archive before anything is restored from it; nothing here writes anywhere.

In order: the archive reads to the end, ``manifest.json`` is there and well-formed, its format
version is known, every member's size and sha256 match the manifest (and nothing is missing or
extra), the database vendor is the configured one, and every migration it records exists in this
code. The first problem found is raised as ``ArchiveError`` naming it.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.db.migrations.loader import MigrationLoader

from watchkeeper import __version__
from watchkeeper.core.backup import (
    CHUNK,
    DATABASE_DIR,
    FILES_DIR,
    FORMAT,
    MANIFEST,
    SUPPORTED_FORMAT_VERSIONS,
    ArchiveError,
)
from watchkeeper.core.backup import database as db

MANIFEST_MAX_BYTES = 64 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")
Digests = dict[str, tuple[str, int]]


@dataclass(frozen=True)
class VerifiedArchive:
    path: Path
    manifest: dict[str, Any]

    @property
    def database_member(self) -> str:
        return str(self.manifest["database"]["member"])

    @property
    def file_members(self) -> list[str]:
        return [name for name in self.manifest["members"] if name.startswith(f"{FILES_DIR}/")]


def verify_archive(path: Path) -> VerifiedArchive:
    """The archive and its manifest, once every check has passed."""
    digests, raw_manifest = read_members(path)
    manifest = parse_manifest(raw_manifest)
    check_members(manifest, digests)
    check_vendor(manifest)
    check_migrations(manifest)
    return VerifiedArchive(path, manifest)


def check_member_name(name: str) -> None:
    """Only ``manifest.json``, ``database/…`` and ``files/…``, never outside the target."""
    parts = PurePosixPath(name).parts
    top = {DATABASE_DIR, FILES_DIR}
    unsafe = not parts or name.startswith("/") or any(p in {"", ".", ".."} for p in parts)
    if unsafe or "\\" in name or (name != MANIFEST and (len(parts) < 2 or parts[0] not in top)):
        raise ArchiveError(f"The archive holds an unexpected member {name!r}.")


def sha256_of(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def read_members(path: Path) -> tuple[Digests, bytes]:
    """Read the archive to its end: each member's sha256 and size, and the manifest's bytes."""
    if not path.is_file():
        raise ArchiveError(f"{path} does not exist or is not a file.")
    digests: Digests = {}
    raw_manifest: bytes | None = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                check_member_name(member.name)
                if not member.isfile():
                    raise ArchiveError(f"The archive member {member.name!r} is not a file.")
                if member.name in digests or (member.name == MANIFEST and raw_manifest is not None):
                    raise ArchiveError(f"The archive holds {member.name!r} twice.")
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has contents
                if member.name == MANIFEST:
                    raw_manifest = handle.read(MANIFEST_MAX_BYTES + 1)
                else:
                    digests[member.name] = sha256_of(handle)
            # tarfile stops quietly at a damaged header: read to the end, so gzip checks its CRC.
            assert tar.fileobj is not None
            while tar.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise ArchiveError(
            f"{path.name} cannot be read: it is truncated, damaged or not a Watchkeeper "
            f"backup ({error})."
        ) from None
    if raw_manifest is None:
        raise ArchiveError(
            f"{path.name} has no {MANIFEST}: it is damaged or not a Watchkeeper backup."
        )
    return digests, raw_manifest


def parse_manifest(raw: bytes) -> dict[str, Any]:
    if len(raw) > MANIFEST_MAX_BYTES:
        raise ArchiveError(f"{MANIFEST} is too large to be a Watchkeeper manifest.")
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{MANIFEST} is not valid JSON ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST} does not describe a Watchkeeper backup.")
    version = manifest.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        known = ", ".join(str(v) for v in sorted(SUPPORTED_FORMAT_VERSIONS))
        raise ArchiveError(
            f"The archive's format version {version!r} is unknown to Watchkeeper {__version__} "
            f"(it reads {known}): restore it with the Watchkeeper version that wrote it."
        )
    problem = manifest_problem(manifest)
    if problem:
        raise ArchiveError(f"{MANIFEST} is not valid: {problem}.")
    return manifest


def manifest_problem(manifest: dict[str, Any]) -> str | None:
    """What is missing or malformed in a version-1 manifest, or None."""
    for key in ("created_at", "watchkeeper_version", "django_version"):
        if not isinstance(manifest.get(key), str):
            return f"{key} is missing"
    database = manifest.get("database")
    if not isinstance(database, dict) or not all(
        isinstance(database.get(key), str) for key in ("vendor", "member")
    ):
        return "database must name its vendor and member"
    migrations = manifest.get("migrations")
    if not isinstance(migrations, list) or not all(
        isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m)
        for m in migrations
    ):
        return "migrations must be a list of [app, name] pairs"
    members = manifest.get("members")
    if not isinstance(members, dict):
        return "members is missing"
    for name, entry in members.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and SHA256.match(entry["sha256"])
            and isinstance(entry.get("size"), int)
        ):
            return f"the entry of {name!r} needs a sha256 and a size"
    if database["member"] not in members or not database["member"].startswith(f"{DATABASE_DIR}/"):
        return "its database member is not listed among the members"
    return None


def check_members(manifest: dict[str, Any], digests: Digests) -> None:
    expected: dict[str, dict[str, Any]] = manifest["members"]
    missing = sorted(set(expected) - set(digests))
    if missing:
        raise ArchiveError(f"The archive lacks {missing[0]!r}, which its manifest lists.")
    extra = sorted(set(digests) - set(expected))
    if extra:
        raise ArchiveError(f"The archive member {extra[0]!r} is not listed in its manifest.")
    for name, (sha256, size) in sorted(digests.items()):
        entry = expected[name]
        if size != entry["size"]:
            raise ArchiveError(
                f"{name} is damaged: {size} bytes where the manifest says {entry['size']}."
            )
        if sha256 != entry["sha256"]:
            raise ArchiveError(f"{name} is damaged: its sha256 does not match the manifest.")


def check_vendor(manifest: dict[str, Any]) -> None:
    archived, configured = manifest["database"]["vendor"], db.vendor()
    if archived != configured:
        raise ArchiveError(
            f"The archive holds a {archived} database but this Watchkeeper is configured for "
            f"{configured} (WATCHKEEPER_DATABASE_URL): restore it into a {archived} database."
        )


def known_migrations() -> set[tuple[str, str]]:
    """Every migration in this code, and the ones its squashed migrations replace."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update((app, name) for app, name in migration.replaces)
    return known


def check_migrations(manifest: dict[str, Any]) -> None:
    known = known_migrations()
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if unknown:
        listed = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise ArchiveError(
            f"The archive comes from a newer Watchkeeper ({manifest['watchkeeper_version']}): "
            f"this one ({__version__}) lacks its migrations {listed}. Install that version or "
            "newer, then restore."
        )
