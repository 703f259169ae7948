"""Which archives a backup directory holds, and keeping only the newest few.

Only files named like ``watchkeeper-backup-20261126T073000Z.tar.gz`` count: half-written
archives (hidden ``.partial`` files) and anything else in the directory are never touched.
"""

from __future__ import annotations

from pathlib import Path

from watchkeeper.core.backup import ARCHIVE_NAME, ARCHIVE_SUFFIX


def archives(directory: Path) -> list[Path]:
    """The directory's archives, oldest first (their names sort by the time they were taken)."""
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if ARCHIVE_NAME.match(path.name)]
    # "…073000Z" before "…073000Z-1": compare the names without the common suffix.
    return sorted(found, key=lambda path: path.name.removesuffix(ARCHIVE_SUFFIX))


def newest_archive(directory: Path) -> Path | None:
    found = archives(directory)
    return found[-1] if found else None


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives; the deleted paths."""
    if keep < 1:
        raise ValueError("keep at least one archive")
    doomed = archives(directory)[:-keep]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
