"""The ingestion endpoint: source tokens only, clear 4xx for bad input, batches atomic."""

from __future__ import annotations

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.events.choices import AlertStatus
from watchkeeper.events.models import Alert, Event
from watchkeeper.events.processor import drain


def post(token: str, body: object) -> object:
    client = Client(headers={"Authorization": f"Bearer {token}"})
    return client.post("/api/v1/events", body, content_type="application/json")


def test_a_source_sends_one_event_or_a_batch(make_source):
    _, token = make_source()
    one = post(token, {"resource": "web01", "check": "disk", "severity": "major", "id": "a"})
    batch = post(
        token,
        {"events": [{"resource": "web01", "check": "disk", "severity": "ok", "id": "b"},
                    {"resource": "web01", "check": "disk", "severity": "ok", "id": "a"}]},
    )  # fmt: skip
    assert one.status_code == 202, one.content
    assert one.json() == {"accepted": 1} and batch.json() == {"accepted": 2}
    assert not Alert.objects.exists()  # taken, waiting for the processor
    assert drain() == 3
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.CLOSED and alert.count == 2  # "a" counted once
    assert Event.objects.count() == 2 and Event.objects.filter(external_id="a").count() == 1


def test_bad_input_is_refused_whole_and_named(make_source):
    _, token = make_source()
    cases = [
        ({"resource": "web01", "check": "disk", "severity": "awful"}, "severity"),
        ({"resource": "", "check": "disk", "severity": "ok"}, "resource"),
        ({"resource": "web01", "check": "disk", "severity": "ok", "colour": 1}, "colour"),
        ({"events": []}, "events"),
        ({"events": [{"resource": "a", "check": "b", "severity": "ok"}] * 1001}, "events"),
        ({"resource": "web\x00", "check": "disk", "severity": "ok"}, "NUL"),
    ]
    for body, named in cases:
        answer = post(token, body)
        assert answer.status_code == 422, (body, answer.content)
        assert named in answer.json()["detail"], (named, answer.json())
    mixed = {"events": [{"resource": "a", "check": "b", "severity": "ok"}, {"resource": "a"}]}
    assert post(token, mixed).status_code == 422
    assert drain() == 0 and not Event.objects.exists()


def test_only_a_source_token_may_send(make_source, make_user, make_token):
    source, token = make_source()
    user_token = make_token(make_user("admin", Role.ADMINISTRATOR))
    body = {"resource": "web01", "check": "disk", "severity": "ok"}
    assert post(user_token, body).status_code == 401
    assert post("wk_000000000000_nope", body).status_code == 401
    source.is_active = False
    source.save()
    assert post(token, body).status_code == 401
    # and a source token cannot read tickets
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/incidents").status_code == 401
