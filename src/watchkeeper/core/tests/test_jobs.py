"""The jobs facade: enqueue now, on commit, at a time, periodically; and a real queue behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from huey.storage import SqliteStorage

from watchkeeper.core import jobs

CALLS: list[tuple[str, int]] = []


@jobs.job
def remember(label: str, value: int) -> int:
    CALLS.append((label, value))
    return value * 2


ATTEMPTS: list[int] = []


@jobs.job(retries=2, retry_delay=0)
def flaky(fail_times: int) -> str:
    ATTEMPTS.append(len(ATTEMPTS) + 1)
    if len(ATTEMPTS) <= fail_times:
        raise ConnectionError("mail server unreachable")
    return "sent"


@pytest.fixture(autouse=True)
def _clean_calls():
    CALLS.clear()
    ATTEMPTS.clear()
    yield
    CALLS.clear()
    ATTEMPTS.clear()


def test_enqueue_runs_the_job():
    # given jobs run inline (the test settings)
    # when a job is enqueued
    result = jobs.enqueue(remember, "now", 21)

    # then it ran, with its arguments, and its result can be read
    assert CALLS == [("now", 21)]
    assert result is not None
    assert result.get() == 42


def test_job_is_registered_under_its_module_path():
    # given a job declared with the facade
    # when the queue's registry names it
    name = jobs.HUEY._registry.task_to_string(remember.task_class)

    # then it is the dotted path of the function, which workers look it up by
    assert name == "watchkeeper.core.tests.test_jobs.remember"
    assert jobs.HUEY._registry.string_to_task(name) is remember.task_class


def test_a_failing_job_is_retried():
    # given a job that fails twice, then succeeds, declared with two retries
    # when it is enqueued
    jobs.enqueue(flaky, 2)

    # then it ran three times
    assert ATTEMPTS == [1, 2, 3]


def test_a_job_without_retries_runs_once():
    # given a job that always fails, and a plain job
    # when the plain one is enqueued with bad arguments
    result = jobs.enqueue(remember, "bad")  # missing the value argument

    # then it ran once, failed, and the failure is in its result
    assert result is not None
    with pytest.raises(Exception, match="missing 1 required positional argument"):
        result.get()
    assert CALLS == []


@pytest.mark.django_db
def test_enqueue_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    # given an open transaction
    # when a job is enqueued on commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue_on_commit(remember, "after", 1)
        # then it has not run while the transaction is open
        assert CALLS == []

    # and it ran once the transaction committed
    assert len(callbacks) == 1
    assert CALLS == [("after", 1)]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_never_runs_after_a_rollback():
    # given a transaction that enqueues a job on commit, then fails
    def enqueue_then_fail() -> None:
        with transaction.atomic():
            jobs.enqueue_on_commit(remember, "rolled back", 1)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()

    # when a later transaction commits
    with transaction.atomic():
        jobs.enqueue_on_commit(remember, "committed", 2)

    # then only the committed job ran
    assert CALLS == [("committed", 2)]


@pytest.mark.django_db(transaction=True)
def test_a_queue_failure_after_commit_is_logged_not_raised(make_user, monkeypatch, caplog):
    # given a queue that refuses new jobs
    def refuse(task):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(jobs.HUEY, "enqueue", refuse)

    # when a change commits with a job queued on commit
    with transaction.atomic():
        user = make_user("kept")
        jobs.enqueue_on_commit(remember, "lost", 1)

    # then the change stays committed, and the failure was logged
    assert type(user).objects.filter(username="kept").exists()
    assert CALLS == []
    assert any("queue unreachable" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_runs_at_the_outermost_commit():
    # given nested transactions
    with transaction.atomic():
        with transaction.atomic():
            jobs.enqueue_on_commit(remember, "inner", 3)
        # when the inner one ends
        # then the job waits for the outer one
        assert CALLS == []

    assert CALLS == [("inner", 3)]


def test_schedule_needs_an_aware_eta():
    # given a naive datetime
    naive = dt.datetime(2030, 1, 1, 12, 0)

    # when a job is scheduled at it
    with pytest.raises(ValueError, match="timezone-aware"):
        jobs.schedule(remember, naive, "late", 1)

    # then nothing ran and nothing was scheduled
    assert CALLS == []
    assert jobs.HUEY.scheduled_count() == 0


def test_schedule_waits_until_the_eta():
    # given an aware time in the future, in another time zone than UTC
    eta = dt.datetime(2099, 6, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    # when a job is scheduled at it
    jobs.schedule(remember, eta, "later", 7)

    # then it has not run, and waits in the schedule for that moment in UTC
    assert CALLS == []
    (waiting,) = jobs.HUEY.scheduled()
    assert isinstance(waiting, remember.task_class)
    assert waiting.args == ("later", 7)
    assert waiting.eta == dt.datetime(2099, 6, 1, 12, 0)


@pytest.mark.parametrize(
    "cron",
    ["* * * *", "* * * * * *", "", "61 * * * *", "* 24 * * *", "every minute please !"],
)
def test_periodic_rejects_a_bad_cron_expression(cron):
    # given a malformed cron expression
    # when a periodic job is declared with it
    # then it is refused where it is written
    with pytest.raises(ValueError, match=r"cron|invalid|field|valid|crontab"):
        jobs.periodic(cron)


def test_periodic_runs_on_its_schedule():
    # given a job declared to run every 15 minutes
    @jobs.periodic("*/15 * * * *")
    def tick() -> None:
        return None

    # when the scheduler asks which periodic jobs are due
    due_on_the_quarter = jobs.HUEY.read_periodic(dt.datetime(2030, 1, 1, 10, 45))
    due_in_between = jobs.HUEY.read_periodic(dt.datetime(2030, 1, 1, 10, 46))

    # then it is due on the quarter hours only
    assert tick.task_class in {type(task) for task in due_on_the_quarter}
    assert tick.task_class not in {type(task) for task in due_in_between}


@pytest.fixture
def real_queue(tmp_path, monkeypatch, django_db_blocker):
    """The application's Huey, not immediate, storing its queue in a temporary SQLite file.

    A job closes stale database connections around its run, as a worker does; that touches a
    connection an earlier test may have left open, so database access is unblocked here."""
    huey = jobs.HUEY
    huey.immediate = False
    storage = SqliteStorage(name=huey.name, filename=str(tmp_path / "queue.sqlite3"))
    monkeypatch.setattr(huey, "storage", storage)
    with django_db_blocker.unblock():
        yield huey
    storage.close()


def test_a_real_sqlite_queue_runs_the_job_in_a_worker(real_queue):
    # given the queue in a SQLite file, with no job waiting
    assert real_queue.pending_count() == 0

    # when a job is enqueued
    result = jobs.enqueue(remember, "queued", 5)

    # then it waits in the queue without running
    assert CALLS == []
    assert real_queue.pending_count() == 1
    # and a worker that pulls it from the queue runs it and stores the result
    task = real_queue.dequeue()
    assert task is not None
    assert isinstance(task, remember.task_class)
    real_queue.execute(task)
    assert CALLS == [("queued", 5)]
    assert real_queue.pending_count() == 0
    assert result is not None
    assert result.get() == 10


def test_a_real_queue_keeps_a_scheduled_job_until_its_time(real_queue):
    # given a job scheduled an hour from now on the real queue
    eta = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    jobs.schedule(remember, eta, "timed", 1)

    # when a worker pulls it before its time
    task = real_queue.dequeue()
    assert task is not None
    real_queue.execute(task)

    # then it did not run but went to the schedule, which releases it at its time
    assert CALLS == []
    assert real_queue.scheduled_count() == 1
    assert real_queue.read_schedule(dt.datetime.now(dt.UTC).replace(tzinfo=None)) == []
    (due,) = real_queue.read_schedule(eta.replace(tzinfo=None) + dt.timedelta(seconds=1))
    real_queue.execute(due, timestamp=eta.replace(tzinfo=None) + dt.timedelta(seconds=1))
    assert CALLS == [("timed", 1)]


def test_the_sqlite_optimize_job_runs_only_on_sqlite(db: None) -> None:
    from django.db import connection

    from watchkeeper.core.tasks import optimize_sqlite

    assert optimize_sqlite.call_local() is (connection.vendor == "sqlite")
