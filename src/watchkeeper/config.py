"""Reading ``WATCHKEEPER_*`` environment variables, and refusing unsafe production settings.

Kept apart from ``settings.py`` so the parsing rules are small functions that tests can call.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PREFIX = "WATCHKEEPER_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(data_dir: Path) -> str:
    """The configured key, else one generated on first start and kept in the data directory."""
    configured = os.environ.get(PREFIX + "SECRET_KEY")
    if configured:
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"


def database_settings(data_dir: Path) -> dict[str, Any]:
    """SQLite in WAL mode under the data directory unless ``WATCHKEEPER_DATABASE_URL`` says else."""
    url = env_str("DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{data_dir / 'watchkeeper.sqlite3'}"
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"{PREFIX}DATABASE_URL is not usable: {error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": SQLITE_INIT,
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": str(data_dir / "test-watchkeeper.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"{PREFIX}DATABASE_URL must be sqlite:/// or postgres://, not {config['ENGINE']}"
        )
    return config


def queue_settings(data_dir: Path) -> dict[str, Any]:
    """Huey settings: SqliteHuey in the data directory, or RedisHuey for a ``redis://`` URL."""
    url = env_str("QUEUE_URL", "")
    immediate = env_bool("QUEUE_IMMEDIATE", False)
    common: dict[str, Any] = {
        "name": "watchkeeper",
        "immediate": immediate,
        "utc": True,
        "consumer": {"workers": env_int("WORKERS", 2, minimum=1), "worker_type": "thread"},
    }
    if not url or url.startswith("sqlite"):
        path = urlparse(url).path if url else str(data_dir / "queue.sqlite3")
        return {**common, "huey_class": "huey.SqliteHuey", "filename": path}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {**common, "huey_class": "huey.PriorityRedisHuey", "url": url}
    raise ImproperlyConfigured(f"{PREFIX}QUEUE_URL must be redis://… or sqlite:///…, not {url!r}")


def check_production(settings: dict[str, Any]) -> None:
    """Refuse to start in production with a setting that is unsafe; name the setting."""
    problems = []
    if settings["DEBUG"]:
        problems.append(f"{PREFIX}DEBUG must be false in production")
    if not os.environ.get(PREFIX + "SECRET_KEY"):
        problems.append(f"{PREFIX}SECRET_KEY must be set in production (50+ random characters)")
    elif len(settings["SECRET_KEY"]) < 50:
        problems.append(f"{PREFIX}SECRET_KEY is too short: use at least 50 random characters")
    if not os.environ.get(PREFIX + "ALLOWED_HOSTS") or "*" in settings["ALLOWED_HOSTS"]:
        problems.append(f"{PREFIX}ALLOWED_HOSTS must list the host names, and not '*'")
    if not settings["HTTPS"]:
        problems.append(f"{PREFIX}HTTPS must be true in production (secure cookies need HTTPS)")
    if not settings["BASE_URL"].startswith("https://"):
        problems.append(f"{PREFIX}BASE_URL must be the https:// address users reach")
    if problems:
        raise ImproperlyConfigured("Unsafe production configuration: " + "; ".join(problems))
