"""The ``watchkeeper`` command's own subcommands."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.demo import GROUPS, USERS
from watchkeeper.core.models import HistoryEntry


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createadmin_takes_the_password_from_the_environment(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setenv("WATCHKEEPER_ADMIN_PASSWORD", "a long enough admin password")
    # when
    output = run("createadmin", "root", "--email", "root@example.org")
    # then
    user = User.objects.get(username="root")
    assert user.check_password("a long enough admin password")
    assert user.is_superuser and user.has_perm("accounts.manage_users")
    assert "a long enough admin password" not in output


def test_createadmin_generates_and_prints_a_password(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.delenv("WATCHKEEPER_ADMIN_PASSWORD", raising=False)
    # when
    output = run("createadmin", "root", "--email", "root@example.org")
    # then
    password = output.split("Password: ")[1].strip()
    assert User.objects.get(username="root").check_password(password)


def test_createadmin_refuses_an_existing_username(make_user: Callable[..., User]) -> None:
    # given
    make_user("root")
    # when / then
    with pytest.raises(CommandError, match="already exists"):
        run("createadmin", "root", "--email", "other@example.org")


def test_token_create_prints_only_a_working_token(make_user: Callable[..., User]) -> None:
    # given
    make_user("scripts", Role.AGENT)
    # when
    output = run("token", "create", "scripts", "--name", "inventory", "--scope", "write")
    # then
    token = output.strip()
    assert "\n" not in token and token.startswith("wk_")
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["username"] == "scripts"
    assert response.json()["token_scope"] == "write"


def test_token_create_for_an_unknown_user_fails_clearly(db: None) -> None:
    with pytest.raises(CommandError, match="No active user named 'ghost'"):
        run("token", "create", "ghost", "--name", "x")


def test_token_create_rejects_a_bad_expiry(make_user: Callable[..., User]) -> None:
    make_user("scripts")
    with pytest.raises(CommandError, match="Expiry must be between"):
        run("token", "create", "scripts", "--name", "x", "--expires", "0")


def test_demo_loads_a_whole_organisation_once(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.setenv("WATCHKEEPER_ADMIN_PASSWORD", "demo password for tests")
    # when
    output = run("demo", "--if-empty")
    again = run("demo", "--if-empty")
    # then
    assert set(SupportGroup.objects.values_list("name", flat=True)) == set(GROUPS)
    for person in USERS:
        assert person.role in User.objects.get(username=person.username).roles
    assert {role for person in USERS for role in [person.role]} | {Role.ADMINISTRATOR} == set(Role)
    assert ConfigurationItem.objects.services().count() >= 3
    assert "demo password for tests" in output and "demo password for tests" in again
    assert User.objects.count() == len(USERS) + 1
    assert User.objects.get(username="rita").check_password("demo password for tests")


def test_demo_refuses_a_database_with_users(make_user: Callable[..., User]) -> None:
    make_user("someone")
    with pytest.raises(CommandError, match="already has users"):
        run("demo")


def test_audit_verify_names_the_altered_record(make_user: Callable[..., User]) -> None:
    # given
    intact = make_user("intact")
    altered = make_user("altered")
    assert "History intact" in run("audit", "verify")
    entry = HistoryEntry.objects.filter(object_id=str(altered.pk), sequence=1)
    entry.update(actor_label="someone else")
    # when
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=out)
    # then
    assert "1 record(s)" in str(failure.value)
    assert f"accounts.user:{altered.pk}" in out.getvalue()
    assert f"accounts.user:{intact.pk}" not in out.getvalue()


def test_check_reports_every_connection(db: None) -> None:
    output = run("checkup")
    for name in ("configuration: ok", "database: ok", "queue: ok", "data directory: ok"):
        assert name in output


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_version_and_help_need_no_database() -> None:
    assert cli("version").stdout.startswith("watchkeeper ")
    assert "createadmin" in cli("--help").stdout


def test_production_mode_refuses_unsafe_settings_and_names_them(tmp_path: Path) -> None:
    # given production mode with no secret key, no host names, no https
    env = {
        "WATCHKEEPER_PRODUCTION": "true",
        "WATCHKEEPER_HTTPS": "false",
        "WATCHKEEPER_DATA_DIR": str(tmp_path),
    }
    for name in ("WATCHKEEPER_SECRET_KEY", "WATCHKEEPER_ALLOWED_HOSTS", "WATCHKEEPER_BASE_URL"):
        env[name] = ""
    # when
    result = cli("check", env=env)
    # then
    assert result.returncode == 2
    names = ("SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "BASE_URL")
    for setting in (f"WATCHKEEPER_{name}" for name in names):
        assert setting in result.stderr
    assert "Traceback" not in result.stderr
