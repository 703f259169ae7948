"""The events spool and its processor: taken events become alerts exactly once, in order; a bad
entry is set aside without blocking the rest; a full spool answers 429."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from watchkeeper.core.history import verify_history
from watchkeeper.events import processor, spool
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import Alert, Event, EventSource, SpoolMark
from watchkeeper.events.tests.conftest import event

RECEIVED = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def test_taken_events_are_processed_once_even_after_a_stop_before_forgetting(
    make_source, monkeypatch
):
    # given three entries waiting
    source, _ = make_source()
    for minute in range(3):
        spool.append(source.pk, [event(minute=minute)], RECEIVED)
    # when the processor stops between its commit and forgetting the entries
    with monkeypatch.context() as patched:
        patched.setattr(spool, "forget", lambda *a, **k: (_ for _ in ()).throw(OSError("stop")))
        with pytest.raises(OSError, match="stop"):
            processor.process_once()
    assert spool.waiting() == (3, 3)
    # then the next round processes nothing again, and forgets them
    assert processor.drain() == 0
    assert spool.waiting() == (0, 0)
    alert = Alert.objects.get()
    assert alert.count == 3 and Event.objects.count() == 3
    assert SpoolMark.objects.get(spool=spool.identity()).last_entry > 0


def test_many_single_event_requests_are_merged_into_one_count(make_source):
    source, _ = make_source()
    for n in range(300):
        spool.append(source.pk, [event(minute=n, message=f"m{n}")], RECEIVED)
    assert processor.drain() == 300
    alert = Alert.objects.get()
    assert (alert.count, alert.message) == (300, "m299")  # the newest speaks for the alert
    assert set(Event.objects.values_list("received_at", flat=True)) == {RECEIVED}


def test_one_batch_makes_the_same_alerts_as_its_events_one_by_one(make_source):
    """The batch path looks keys' closings, openings and items up once and numbers and records
    history in bulk; what it makes must equal what the events make one at a time."""
    rng = random.Random(6)
    severities = ["critical", "major", "warning", "ok", "ok"]
    events = [
        event(resource=f"host-{rng.randrange(8)}", check=rng.choice(["cpu", "disk"]),
              severity=rng.choice(severities), minute=n)
        for n in range(400)
    ]  # fmt: skip
    one_by_one, _ = make_source("one-by-one")
    batched, _ = make_source("batched")
    for incoming in events:
        ingest(one_by_one, [incoming])
    for start in range(0, len(events), 150):
        ingest(batched, events[start : start + 150])

    def alerts(source: EventSource) -> list[tuple[object, ...]]:
        fields = ("key", "count", "status", "severity", "first_seen", "last_seen", "closed_at",
                  "flapping")  # fmt: skip
        return list(Alert.objects.filter(source=source).order_by("pk").values_list(*fields))

    assert alerts(batched) == alerts(one_by_one) and len(alerts(batched)) > 20
    assert verify_history() == []


def test_an_event_without_a_time_is_timed_when_it_was_taken(make_source):
    source, _ = make_source()
    spool.append(source.pk, [Incoming(resource="web01", check="disk", severity="major")], RECEIVED)
    processor.drain()
    assert Alert.objects.get().first_seen == RECEIVED


def test_a_bad_entry_is_set_aside_and_the_rest_processed(make_source, capsys):
    # given an entry whose source was deleted between acceptance and processing
    kept, _ = make_source("kept")
    gone, _ = make_source("gone")
    spool.append(kept.pk, [event(resource="web01")], RECEIVED)
    spool.append(gone.pk, [event(resource="web02")], RECEIVED)
    spool.append(kept.pk, [event(resource="web03")], RECEIVED)
    gone_id = gone.pk
    gone.delete()
    # when processed
    assert processor.drain() == 3
    # then the others made their alerts, and the bad one waits aside with its error
    assert set(Alert.objects.values_list("resource", flat=True)) == {"web01", "web03"}
    [(entry_id, count, error, _at)] = spool.failed()
    assert count == 1 and "EventSource matching query does not exist" in error
    call_command("events", "spool")
    assert f"failed entry {entry_id} (1 events" in capsys.readouterr().out
    # and once retried (here, the source made again with its old id), it is processed
    again, _ = make_source("gone")
    EventSource.objects.filter(pk=again.pk).update(id=gone_id)
    call_command("events", "spool", "--retry-failed")
    assert "1 failed entries queued again" in capsys.readouterr().out
    call_command("events", "process", "--once")
    assert "1 events processed." in capsys.readouterr().out
    assert Alert.objects.filter(resource="web02").exists() and not spool.failed()


def test_a_full_spool_answers_429_until_the_processor_catches_up(make_source, monkeypatch):
    monkeypatch.setattr(spool, "BACKLOG_TTL_SECONDS", 0)
    _, token = make_source()
    client = Client(headers={"Authorization": f"Bearer {token}"})
    body = {"events": [{"resource": "web01", "check": "disk", "severity": "major"}] * 3}
    with override_settings(EVENTS_MAX_BACKLOG=2):
        taken = client.post("/api/v1/events", body, content_type="application/json")
        refused = client.post("/api/v1/events", body, content_type="application/json")
        assert taken.status_code == 202 and refused.status_code == 429, refused.content
        assert refused["Retry-After"] == "5" and "waiting" in refused.json()["detail"]
        assert processor.drain() == 3
        again = client.post("/api/v1/events", body, content_type="application/json")
        assert again.status_code == 202, again.content
