"""Reading WATCHKEEPER_* variables, and refusing an unsafe production configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from watchkeeper import config

LONG_KEY = "k" * 60


@pytest.fixture
def clean_env(monkeypatch):
    """No WATCHKEEPER_* variable set, whatever the shell running the tests has."""
    for name in list(config.os.environ):
        if name.startswith(config.PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), (" YES ", True), ("on", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_words(clean_env, raw, expected):
    # given the variable set to a word
    clean_env.setenv("WATCHKEEPER_FLAG", raw)

    # when it is read
    # then it means what people mean by it
    assert config.env_bool("FLAG", not expected) is expected


def test_env_bool_defaults_when_unset(clean_env):
    # given no variable
    # then the default applies
    assert config.env_bool("FLAG", True) is True
    assert config.env_bool("FLAG", False) is False


def test_env_bool_error_names_the_variable_and_value(clean_env):
    # given a word that is neither true nor false
    clean_env.setenv("WATCHKEEPER_DEBUG", "maybe")

    # when it is read
    with pytest.raises(ImproperlyConfigured) as caught:
        config.env_bool("DEBUG", False)

    # then the message names the variable and the value
    assert "WATCHKEEPER_DEBUG" in str(caught.value)
    assert "'maybe'" in str(caught.value)


def test_env_int_reads_numbers_and_defaults(clean_env):
    # given one number set and one variable blank
    clean_env.setenv("WATCHKEEPER_WORKERS", " 8 ")
    clean_env.setenv("WATCHKEEPER_EMAIL_PORT", "")

    # then the number is read, and the blank one takes the default
    assert config.env_int("WORKERS", 2) == 8
    assert config.env_int("EMAIL_PORT", 25) == 25
    assert config.env_int("UNSET", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10", "5 minutes"])
def test_env_int_error_names_the_variable(clean_env, raw):
    # given a value that is not a whole number
    clean_env.setenv("WATCHKEEPER_LOGIN_FAILURE_LIMIT", raw)

    # when it is read
    with pytest.raises(ImproperlyConfigured) as caught:
        config.env_int("LOGIN_FAILURE_LIMIT", 5)

    # then the message names the variable
    assert "WATCHKEEPER_LOGIN_FAILURE_LIMIT" in str(caught.value)
    assert repr(raw) in str(caught.value)


def test_env_int_refuses_a_number_below_the_minimum(clean_env):
    # given a limit of zero, which would lock every login out
    clean_env.setenv("WATCHKEEPER_LOGIN_FAILURE_LIMIT", "0")

    # when it is read with a minimum of one
    with pytest.raises(ImproperlyConfigured) as caught:
        config.env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)

    # then the message names the variable and the minimum
    assert "WATCHKEEPER_LOGIN_FAILURE_LIMIT must be at least 1" in str(caught.value)


def test_env_list_splits_on_commas(clean_env):
    # given a list with blanks around and between the items
    clean_env.setenv("WATCHKEEPER_ALLOWED_HOSTS", " desk.example.org, ,api.example.org ")

    # then the items are read without the blanks
    assert config.env_list("ALLOWED_HOSTS", []) == ["desk.example.org", "api.example.org"]


def test_the_secret_key_is_generated_once_and_kept(clean_env, tmp_path: Path):
    # given an empty data directory
    # when the key is asked for twice
    first = config.secret_key(tmp_path)
    second = config.secret_key(tmp_path)

    # then it was generated once, is long, and only the owner may read the file
    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_configured_secret_key_wins(clean_env, tmp_path: Path):
    # given a key in the environment
    clean_env.setenv("WATCHKEEPER_SECRET_KEY", LONG_KEY)

    # then it is used and no file is written
    assert config.secret_key(tmp_path) == LONG_KEY
    assert not (tmp_path / "secret_key").exists()


def test_sqlite_is_the_default_database(clean_env, tmp_path: Path):
    # given no database URL
    # when the database settings are made
    database = config.database_settings(tmp_path)

    # then it is SQLite in WAL mode with immediate transactions, tests in a file of their own
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "watchkeeper.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["TEST"]["NAME"] == str(tmp_path / "test-watchkeeper.sqlite3")


def test_a_postgres_url_selects_postgresql(clean_env, tmp_path: Path):
    # given a PostgreSQL URL
    clean_env.setenv("WATCHKEEPER_DATABASE_URL", "postgres://wk:secret@db.example:5433/itsm")

    # when the database settings are made
    database = config.database_settings(tmp_path)

    # then they point there
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.example", 5433, "itsm")
    assert database["USER"] == "wk"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "nonsense://"])
def test_an_unsupported_database_url_names_the_variable(clean_env, tmp_path: Path, url):
    # given a URL of a database Watchkeeper does not support
    clean_env.setenv("WATCHKEEPER_DATABASE_URL", url)

    # when the settings are made
    # then the message names the variable
    with pytest.raises(ImproperlyConfigured, match="WATCHKEEPER_DATABASE_URL"):
        config.database_settings(tmp_path)


def _safe() -> dict[str, Any]:
    return {
        "DEBUG": False,
        "SECRET_KEY": LONG_KEY,
        "ALLOWED_HOSTS": ["desk.example.org"],
        "HTTPS": True,
        "BASE_URL": "https://desk.example.org",
    }


@pytest.fixture
def production_env(clean_env):
    clean_env.setenv("WATCHKEEPER_SECRET_KEY", LONG_KEY)
    clean_env.setenv("WATCHKEEPER_ALLOWED_HOSTS", "desk.example.org")
    return clean_env


def test_a_safe_production_configuration_passes(production_env):
    # given a configuration with every production setting safe
    # when it is checked
    # then nothing is raised
    config.check_production(_safe())


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DEBUG": True}, "WATCHKEEPER_DEBUG"),
        ({"SECRET_KEY": "short"}, "WATCHKEEPER_SECRET_KEY"),
        ({"ALLOWED_HOSTS": ["*"]}, "WATCHKEEPER_ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["desk.example.org", "*"]}, "WATCHKEEPER_ALLOWED_HOSTS"),
        ({"HTTPS": False}, "WATCHKEEPER_HTTPS"),
        ({"BASE_URL": "http://desk.example.org"}, "WATCHKEEPER_BASE_URL"),
    ],
)
def test_each_unsafe_setting_is_named(production_env, change, named):
    # given a safe configuration with one setting made unsafe
    settings = {**_safe(), **change}

    # when it is checked
    with pytest.raises(ImproperlyConfigured) as caught:
        config.check_production(settings)

    # then exactly that setting is named
    message = str(caught.value)
    assert named in message
    others = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "BASE_URL"} - {named[12:]}
    assert not any(f"WATCHKEEPER_{other} " in message for other in others), message


def test_a_generated_secret_key_is_not_enough_for_production(clean_env):
    # given no key in the environment (one generated into the data directory)
    clean_env.setenv("WATCHKEEPER_ALLOWED_HOSTS", "desk.example.org")

    # when production is checked
    with pytest.raises(ImproperlyConfigured) as caught:
        config.check_production(_safe())

    # then it asks for the key to be set
    assert "WATCHKEEPER_SECRET_KEY must be set" in str(caught.value)


def test_allowed_hosts_must_be_set_for_production(clean_env):
    # given the default hosts, not set in the environment
    clean_env.setenv("WATCHKEEPER_SECRET_KEY", LONG_KEY)

    # when production is checked
    with pytest.raises(ImproperlyConfigured, match="WATCHKEEPER_ALLOWED_HOSTS"):
        config.check_production({**_safe(), "ALLOWED_HOSTS": ["127.0.0.1", "localhost"]})


def test_every_problem_is_reported_at_once(clean_env):
    # given a development configuration
    settings = {
        "DEBUG": True,
        "SECRET_KEY": "dev",
        "ALLOWED_HOSTS": ["*"],
        "HTTPS": False,
        "BASE_URL": "http://127.0.0.1:8000",
    }

    # when production is checked
    with pytest.raises(ImproperlyConfigured) as caught:
        config.check_production(settings)

    # then all five problems are in the one message
    message = str(caught.value)
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "BASE_URL"):
        assert f"WATCHKEEPER_{name}" in message
