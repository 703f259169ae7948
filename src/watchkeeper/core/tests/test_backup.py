"""Platform backup and restore: one archive, checked whole, restored into an empty data directory
with every record, file and history chain; a damaged archive is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from psycopg import sql

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core import tasks
from watchkeeper.core.backup import MANIFEST
from watchkeeper.core.backup.archive import create_backup
from watchkeeper.core.backup.retention import archives, prune
from watchkeeper.core.backup.verify import verify_archive
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import verify_history
from watchkeeper.core.jobs import HUEY
from watchkeeper.core.models import HistoryEntry
from watchkeeper.core.tasks import backup_with_retention
from watchkeeper.incidents.actions import add_attachment, add_comment, create_incident
from watchkeeper.incidents.models import Activity, Attachment, Incident

ATTACHMENT = b"2026-11-26 07:30:01 vpn: tunnel down (peer timeout)\n" * 40
SUMMARY = (
    "import json; from watchkeeper.core.tests.test_backup import summary; "
    "print(json.dumps(summary(), default=str))"
)


def summary() -> dict[str, Any]:
    """The records a restore must bring back, field by field, and whether history verifies.
    Also run inside the restored installation (``watchkeeper manage shell``)."""
    attachments = [
        (a.incident.number, a.name, a.sha256, a.file.name, sha256_file(Path(a.file.path)))
        for a in Attachment.objects.select_related("incident").order_by("pk")
    ]
    data = {
        "users": list(User.objects.order_by("pk").values_list("username", "email", "password")),
        "groups": list(SupportGroup.objects.order_by("pk").values_list("name", "history_hash")),
        "incidents": list(
            Incident.objects.order_by("pk").values_list(
                "number", "short_description", "state", "caller__username", "history_hash"
            )
        ),
        "activities": list(
            Activity.objects.order_by("pk").values_list("incident__number", "kind", "body")
        ),
        "attachments": attachments,
        "history": list(HistoryEntry.objects.order_by("pk").values_list("sequence", "hash")),
        "history_problems": [str(problem) for problem in verify_history()],
    }
    return json.loads(json.dumps(data, default=str))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def files_under(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "files"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def records(
    transactional_db: None,
    make_user: Callable[..., User],
    make_group: Callable[..., Any],
    media_root,
) -> Incident:
    """Committed records (pg_dump sees only those): users, a group, an incident with a comment
    and an attachment."""
    requester = make_user("rita", Role.REQUESTER, first_name="Rita")
    agent = make_user("alex", Role.AGENT)
    make_group("Service desk", members=(agent,))
    incident = create_incident(
        caller=requester,
        short_description="VPN drops every hour",
        acting_user=requester,
        channel=Channel.PORTAL,
    )
    add_comment(incident, body="It happened again at **10:00**.", acting_user=requester)
    upload = SimpleUploadedFile("vpn.log", ATTACHMENT)
    add_attachment(incident, upload=upload, acting_user=requester)
    return incident


@pytest.fixture
def target_database_url() -> Iterator[str | None]:
    """On PostgreSQL a freshly created, empty scratch database to restore into (dropped after)."""
    if connection.vendor != "postgresql":
        yield None
        return
    config = connection.settings_dict
    name = f"wk_restore_{uuid.uuid4().hex[:12]}"
    params = {"host": config["HOST"], "port": config["PORT"], "user": config["USER"]}
    admin = psycopg.connect(
        **params, password=config["PASSWORD"] or None, dbname="postgres", autocommit=True
    )
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        auth = quote(config["USER"]) + (
            f":{quote(config['PASSWORD'])}" if config["PASSWORD"] else ""
        )
        yield f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{name}"
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def run_cli(
    args: list[str], data_dir: Path, database_url: str | None
) -> subprocess.CompletedProcess:
    """``watchkeeper ARGS`` as another installation: its own data directory and database; the
    queue and the secret key are kept outside the data directory so it stays as restored."""
    env = {**os.environ, "WATCHKEEPER_DATA_DIR": str(data_dir)}
    env["WATCHKEEPER_SECRET_KEY"] = "k" * 50
    env["WATCHKEEPER_QUEUE_URL"] = f"sqlite://{data_dir.parent / (data_dir.name + '-queue.db')}"
    env.pop("WATCHKEEPER_DATABASE_URL", None)
    if database_url:
        env["WATCHKEEPER_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "watchkeeper.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_a_backup_restores_into_an_empty_data_directory_with_everything(
    records: Incident, tmp_path: Path, target_database_url: str | None
) -> None:
    # given records with a comment, an attachment and their history, and a backup of them
    before = summary()
    assert before["attachments"] and before["activities"] and before["history_problems"] == []
    archive = create_backup(tmp_path / "backups")

    # when it is restored into an empty data directory (and, on PostgreSQL, an empty database)
    data_dir = tmp_path / "restored"
    restored = run_cli(["restore", str(archive)], data_dir, target_database_url)

    # then every record, the attachment's bytes and every history chain are back
    assert restored.returncode == 0, restored.stderr
    assert "History intact" in restored.stdout and "Restore complete." in restored.stdout
    after = run_cli(["manage", "shell", "-c", SUMMARY], data_dir, target_database_url)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout.strip().splitlines()[-1]) == before
    stored = Attachment.objects.get().file.name
    assert (data_dir / "files" / stored).read_bytes() == ATTACHMENT
    audit = run_cli(["audit", "verify"], data_dir, target_database_url)
    assert audit.returncode == 0 and "History intact" in audit.stdout


def test_restoring_over_data_is_refused_without_force(
    records: Incident, tmp_path: Path, target_database_url: str | None
) -> None:
    # given an installation restored from an archive
    archive = create_backup(tmp_path / "backups")
    data_dir = tmp_path / "restored"
    assert run_cli(["restore", str(archive)], data_dir, target_database_url).returncode == 0

    # when the archive is restored over it again, without and with --force
    refused = run_cli(["restore", str(archive)], data_dir, target_database_url)
    forced = run_cli(["restore", str(archive), "--force"], data_dir, target_database_url)

    # then only --force replaces what is there
    assert refused.returncode != 0
    assert "already holds Watchkeeper users or incidents" in refused.stderr
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert "History intact" in forced.stdout


def test_an_archive_holds_the_snapshot_the_files_and_a_manifest(
    records: Incident, tmp_path: Path
) -> None:
    # when
    archive = create_backup(tmp_path / "backups")

    # then one complete archive, named by its time, with every member's checksum listed
    assert [p.name for p in (tmp_path / "backups").iterdir()] == [archive.name]
    assert archives(tmp_path / "backups") == [archive]
    with tarfile.open(archive, "r:gz") as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    manifest = json.loads(contents.pop(MANIFEST))
    assert manifest["database"]["vendor"] == connection.vendor
    assert ["incidents", "0001_initial"] in manifest["migrations"]
    assert manifest["counts"]["incidents"] == 1 and manifest["counts"]["attachments"] == 1
    assert set(manifest["members"]) == set(contents)
    for name, data in contents.items():
        assert manifest["members"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    assert [n for n in contents if n.startswith("files/")] == [
        f"files/{Attachment.objects.get().file.name}"
    ]
    assert verify_archive(archive).manifest == manifest


def test_the_backup_command_writes_to_the_output_directory(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "elsewhere"), stdout=out)
    [written] = archives(tmp_path / "elsewhere")
    assert f"Backup written: {written}" in out.getvalue()


# Damaged archives: each is refused with one message naming the problem, and nothing changes.


@pytest.fixture(scope="module")
def good_archive(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A valid archive of the test database with one file in it."""
    media = tmp_path_factory.mktemp("source") / "files"
    (media / "attachments").mkdir(parents=True)
    (media / "attachments" / "note.txt").write_bytes(b"the original bytes of a file\n")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        return create_backup(tmp_path_factory.mktemp("good"))


def repack(source: Path, target: Path, change: Callable[[dict[str, bytes]], object]) -> Path:
    """Copy ``source`` to ``target`` after ``change`` edits its members (name -> bytes)."""
    with tarfile.open(source, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def edit_manifest(edit: Callable[[dict[str, Any]], object]) -> Callable[[dict[str, bytes]], None]:
    def change(members: dict[str, bytes]) -> None:
        manifest = json.loads(members[MANIFEST])
        edit(manifest)
        members[MANIFEST] = json.dumps(manifest).encode()

    return change


def database_member(members: dict[str, bytes]) -> str:
    return next(name for name in members if name.startswith("database/"))


def flip_member_bytes(members: dict[str, bytes]) -> None:
    name = "files/attachments/note.txt"
    members[name] = members[name].replace(b"original", b"ORIGINAL")


def wrong_checksum(manifest: dict[str, Any]) -> None:
    member = manifest["database"]["member"]
    manifest["members"][member]["sha256"] = "0" * 64


def other_vendor(manifest: dict[str, Any]) -> None:
    manifest["database"]["vendor"] = "sqlite" if connection.vendor != "sqlite" else "postgresql"


def flip_archive_bytes(good: Path, bad: Path) -> None:
    data = bytearray(good.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 16):
        data[offset] ^= 0xFF
    bad.write_bytes(bytes(data))


def truncate(good: Path, bad: Path) -> None:
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])


def repacked(change: Callable[[dict[str, bytes]], object]) -> Callable[[Path, Path], object]:
    return lambda good, bad: repack(good, bad, change)


DAMAGE: dict[str, tuple[Callable[[Path, Path], object], str]] = {
    "bytes of the archive flipped": (flip_archive_bytes, r"cannot be read|is damaged"),
    "archive truncated": (truncate, r"cannot be read: it is truncated, damaged"),
    "not an archive": (lambda good, bad: bad.write_text("hello"), r"cannot be read"),
    "manifest removed": (repacked(lambda m: m.pop(MANIFEST)), r"has no manifest.json"),
    "manifest not JSON": (
        repacked(lambda m: m.update({MANIFEST: b"{nope"})),
        r"manifest.json is not valid JSON",
    ),
    "a member's bytes changed": (
        repacked(flip_member_bytes),
        r"files/attachments/note.txt is damaged: its sha256 does not match the manifest",
    ),
    "a wrong checksum in the manifest": (
        repacked(edit_manifest(wrong_checksum)),
        r"database/watchkeeper\.\w+ is damaged: its sha256 does not match",
    ),
    "a member missing": (
        repacked(lambda m: m.pop(database_member(m))),
        r"lacks 'database/watchkeeper\.\w+', which its manifest lists",
    ),
    "a member not in the manifest": (
        repacked(lambda m: m.update({"files/extra.txt": b"x"})),
        r"'files/extra.txt' is not listed in its manifest",
    ),
    "a member outside the data directory": (
        repacked(lambda m: m.update({"files/../../evil": b"x"})),
        r"unexpected member 'files/../../evil'",
    ),
    "a different database vendor": (
        repacked(edit_manifest(other_vendor)),
        r"database but this Watchkeeper is configured for " + connection.vendor,
    ),
    "an unknown format version": (
        repacked(edit_manifest(lambda m: m.update(format_version=9))),
        r"format version 9 is unknown",
    ),
    "migrations newer than this code": (
        repacked(edit_manifest(lambda m: m["migrations"].append(["incidents", "9999_future"]))),
        r"comes from a newer Watchkeeper .* lacks its migrations incidents.9999_future",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_archive_is_refused_and_nothing_changes(
    damage: str,
    good_archive: Path,
    make_user: Callable[..., User],
    media_root: Path,
    tmp_path: Path,
) -> None:
    # given a database and files directory with data, and a damaged copy of a good archive
    make_user("kept")
    (media_root / "attachments").mkdir(parents=True)
    (media_root / "attachments" / "kept.txt").write_bytes(b"kept")
    make_damaged, message = DAMAGE[damage]
    bad = tmp_path / "bad.tar.gz"
    make_damaged(good_archive, bad)
    users, files_before = (
        list(User.objects.values_list("username", flat=True)),
        files_under(tmp_path),
    )

    # when it is restored, even with --force
    with pytest.raises(CommandError, match=message) as refused:
        call_command("restore", str(bad), "--force", stdout=io.StringIO())

    # then one message names the problem, and neither the database nor any file changed
    assert str(refused.value).startswith("Restore refused: ")
    assert str(refused.value).endswith("Nothing was changed.")
    assert list(User.objects.values_list("username", flat=True)) == users == ["kept"]
    assert files_under(tmp_path) == files_before


def test_a_refused_restore_writes_nothing_into_an_empty_data_directory(
    good_archive: Path, tmp_path: Path, target_database_url: str | None
) -> None:
    # given a truncated archive and an empty data directory (and database)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good_archive.read_bytes()[:-200])
    data_dir = tmp_path / "empty"

    # when it is restored
    result = run_cli(["restore", str(bad)], data_dir, target_database_url)

    # then the command fails with one clear line and the data directory holds no file
    assert result.returncode != 0
    assert "Restore refused:" in result.stderr and "truncated" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(data_dir) == {}
    if target_database_url:
        with psycopg.connect(target_database_url) as target:
            tables = target.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone() == (0,)


def test_an_archive_is_refused_over_a_database_with_data(
    good_archive: Path, make_user: Callable[..., User], media_root: Path
) -> None:
    make_user("someone")
    with pytest.raises(CommandError, match="already holds Watchkeeper users or incidents"):
        call_command("restore", str(good_archive), stdout=io.StringIO())
    assert list(User.objects.values_list("username", flat=True)) == ["someone"]


# Scheduled backups and retention.


def test_retention_deletes_only_the_oldest_archives_beyond_keep(tmp_path: Path) -> None:
    # given ten archives, a half-written one and other files
    names = [f"watchkeeper-backup-202611{day:02d}T013000Z.tar.gz" for day in range(1, 11)]
    names.append("watchkeeper-backup-20261110T013000Z-1.tar.gz")  # two in the same second
    others = [".watchkeeper-backup-x1y2.partial", "notes.txt", "watchkeeper-backup-old.tar.gz"]
    for name in [*names, *others]:
        (tmp_path / name).write_bytes(b"x")

    # when three are kept
    removed = prune(tmp_path, 3)

    # then the eight oldest archives went, and nothing else
    assert sorted(p.name for p in removed) == sorted(names[:8])
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted([*names[8:], *others])
    assert [p.name for p in archives(tmp_path)] == names[8:]


def test_the_scheduled_backup_writes_an_archive_then_keeps_the_newest(
    transactional_db: None, settings, media_root: Path, tmp_path: Path
) -> None:
    # given three old archives and a limit of two
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 2
    settings.BACKUP_DIR.mkdir()
    old = [settings.BACKUP_DIR / f"watchkeeper-backup-2025010{n}T013000Z.tar.gz" for n in (1, 2, 3)]
    for path in old:
        path.write_bytes(b"old")

    # when the job runs
    written = Path(backup_with_retention())

    # then the new archive is complete and only it and the newest old one are left
    assert archives(settings.BACKUP_DIR) == [old[2], written]
    assert verify_archive(written).manifest["database"]["vendor"] == connection.vendor


def test_the_backup_job_is_due_daily_at_the_configured_time() -> None:
    # the default WATCHKEEPER_BACKUP_SCHEDULE, "30 1 * * *" (UTC)
    backup_task = tasks.scheduled_backup.task_class

    def due(at: dt.datetime) -> bool:
        return any(isinstance(task, backup_task) for task in HUEY.read_periodic(at))

    assert due(dt.datetime(2026, 11, 26, 1, 30))
    assert not due(dt.datetime(2026, 11, 26, 1, 31)) and not due(dt.datetime(2026, 11, 26, 2, 30))
