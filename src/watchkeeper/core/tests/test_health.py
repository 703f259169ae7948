"""The health check that load balancers and ``watchkeeper check`` use."""

from __future__ import annotations

import json

from django.test import Client

from watchkeeper import __version__
from watchkeeper.core import health


def test_healthz_answers_ok_when_database_and_queue_answer(db):
    # given a working database and queue
    # when the health check is called, without logging in
    response = Client().get("/healthz")

    # then it is 200 with each check ok, and never cached
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "version": __version__,
        "database": "ok",
        "queue": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_queue_fails(db, monkeypatch):
    # given a queue whose storage does not answer
    def broken() -> int:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(health.HUEY, "pending_count", broken)

    # when the health check is called
    response = Client().get("/healthz")

    # then it is 503 and names the failing part, without details an attacker could use
    assert response.status_code == 503
    body = json.loads(response.content)
    assert (body["status"], body["database"]) == ("error", "ok")
    assert body["queue"] == "error: ConnectionError"


def test_database_status_reports_a_failing_database(db, monkeypatch):
    # given a database connection that fails
    class BrokenConnection:
        def cursor(self):
            raise OSError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    # when its status is asked
    # then the failure is reported, not raised
    assert health.database_status() == "error: OSError"
