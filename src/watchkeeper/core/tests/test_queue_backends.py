"""The queue settings pick SqliteHuey or Redis, and a job goes through a real Redis queue."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from huey import RedisHuey
from huey.utils import load_class

from watchkeeper.config import queue_settings

REDIS_URL = os.environ.get("WATCHKEEPER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_url() -> str:
    if not redis_answers():
        if os.environ.get("WATCHKEEPER_TEST_REDIS") == "required":
            pytest.fail("Redis is required (WATCHKEEPER_TEST_REDIS=required) but does not answer")
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    return REDIS_URL


def test_default_queue_is_sqlite_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHKEEPER_QUEUE_URL", raising=False)
    config = queue_settings(tmp_path)
    assert config["huey_class"] == "huey.SqliteHuey"
    assert config["filename"] == str(tmp_path / "queue.sqlite3")


def test_a_redis_url_selects_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_QUEUE_URL", "redis://queue.example:6379/2")
    config = queue_settings(tmp_path)
    assert config["huey_class"].endswith("RedisHuey")
    assert config["url"] == "redis://queue.example:6379/2"


def test_an_unknown_queue_url_is_refused_with_the_setting_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHKEEPER_QUEUE_URL", "amqp://broker")
    with pytest.raises(ImproperlyConfigured, match="WATCHKEEPER_QUEUE_URL"):
        queue_settings(tmp_path)


def test_a_job_travels_through_a_real_redis_queue(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a Huey built from the same settings the service uses, on its own queue name
    monkeypatch.setenv("WATCHKEEPER_QUEUE_URL", redis_url)
    config = queue_settings(tmp_path)
    huey: RedisHuey = load_class(config["huey_class"])(
        f"wk-test-{uuid.uuid4().hex}", url=config["url"]
    )
    seen: list[int] = []

    @huey.task()
    def add(a: int, b: int) -> int:
        seen.append(a + b)
        return a + b

    try:
        # when a producer enqueues and a worker dequeues and runs the job
        result = add(2, 3)
        assert huey.pending_count() == 1
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        # then
        assert seen == [5]
        assert result.get() == 5
    finally:
        huey.flush()
