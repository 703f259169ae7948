"""Alerta (PyPI ``alerta-server`` 9.1) for the events benchmark (bench/events.py).

Its own virtualenv (var/bench/alerta-venv: alerta-server, gunicorn, psycopg2-binary), its own
fresh PostgreSQL database on the local server, and an ``alertad.conf`` (named by
``ALERTA_SVR_CONF_FILE``): no authentication, no plugins. Alerta runs its schema script at every
start of its app, so it is run once here (one process) before gunicorn starts several workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.incidents import GUNICORN_FLAGS, log, prepare_postgres

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var/bench"
VENV = VAR / "alerta-venv"
CONFIG_DIR = VAR / "alerta"
VERSION = "9.1.*"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "alerta_bench"
URL = f"{PG_SERVER}/{DATABASE}"
CONFIG = f"""\
# Written by bench/alerta_setup.py for the events benchmark.
DATABASE_URL = {URL!r}
DATABASE_NAME = {DATABASE!r}
AUTH_REQUIRED = False
PLUGINS = []
LOG_LEVEL = "WARNING"
SECRET_KEY = "bench-only-not-a-secret"
ALLOWED_ENVIRONMENTS = ["Production", "Development"]
"""


def python() -> Path:
    return VENV / "bin/python"


def ensure_venv() -> None:
    """Create the virtualenv and install Alerta into it unless that is done already."""
    check = [str(python()), "-c", "import alerta.app, gunicorn, psycopg2"]
    if (
        python().exists()
        and subprocess.run(check, capture_output=True, check=False).returncode == 0
    ):
        return
    base = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    log(f"creating {VENV} and installing alerta-server=={VERSION}")
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    packages = [f"alerta-server=={VERSION}", "gunicorn", "psycopg2-binary"]
    subprocess.run([str(python()), "-m", "pip", "install", "-q", *packages], check=True)


def environment() -> dict[str, str]:
    CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    conf = CONFIG_DIR / "alertad.conf"
    conf.write_text(CONFIG)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ALERTA")}
    env.pop("DATABASE_URL", None)
    env["ALERTA_SVR_CONF_FILE"] = str(conf)
    return env


def prepare() -> dict[str, str]:
    """The virtualenv, a fresh database with Alerta's schema; the environment for its server."""
    ensure_venv()
    prepare_postgres(DATABASE, empty=True)
    env = environment()
    create = "from alerta.app import create_app; create_app()"
    done = subprocess.run(
        [str(python()), "-c", create], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"Alerta's schema was not created:\n{done.stderr[-3000:]}")
    return env


def server_command() -> list[str]:
    """gunicorn with the same workers, threads and logging as ``watchkeeper serve``."""
    app = "alerta.app:create_app()"
    return [str(VENV / "bin/gunicorn"), app, "--bind", "127.0.0.1:{port}", *GUNICORN_FLAGS]


def empty() -> None:
    """Delete every alert (between runs)."""
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DELETE FROM alerts")


def counts(prefix: str) -> dict[str, int]:
    """Alert rows, the sum of their duplicate counts, and the events stored: the distinct event
    ids among the alerts' tags (each event carries the tag ``<prefix><n>``, which Alerta adds to
    the alert's on a duplicate or a severity change alike). Not the attributes: under
    concurrency Alerta answered 201 with the event's attribute merged, yet some were missing
    from the row afterwards, while every tag of a 201 was there."""
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        rows, duplicates, open_ = conn.execute(
            "SELECT count(*), coalesce(sum(duplicate_count), 0),"
            " count(*) FILTER (WHERE status != 'closed') FROM alerts"
        ).fetchone() or (0, 0, 0)
        stored_row = conn.execute(
            "SELECT count(DISTINCT tag) FROM alerts, unnest(tags) AS tag WHERE tag LIKE %s",
            [prefix + "%"],
        ).fetchone()
    return {
        "alerts": int(rows),
        "open_alerts": int(open_),
        "duplicate_count_sum": int(duplicates),
        "stored": int(stored_row[0]) if stored_row else 0,
    }
