"""The platform's own backup and restore: one archive holding a database snapshot, the uploaded
files and a manifest with versions and checksums (see docs/backup.md).

``archive`` writes an archive, ``verify`` checks one without changing anything, ``restore`` puts
one back, ``database`` snapshots and loads the database, ``retention`` keeps the newest few.
"""

from __future__ import annotations

import re

FORMAT = "watchkeeper-backup"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = frozenset({1})
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
FILES_DIR = "files"
ARCHIVE_PREFIX = "watchkeeper-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
# watchkeeper-backup-20261126T073000Z.tar.gz, with "-1", "-2"… when two start in the same second.
ARCHIVE_NAME = re.compile(r"^watchkeeper-backup-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$")
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """An archive that cannot be trusted or used; the message names the problem for the operator."""
