"""The admin pages of event management load, and a source's bad rule is refused in the form."""

from __future__ import annotations

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.events.ingest import ingest
from watchkeeper.events.tests.conftest import event


def test_the_admin_shows_events_and_refuses_a_bad_key_template(make_user, make_source):
    # given an administrator and a source with an alert
    source, _ = make_source()
    ingest(source, [event()])
    client = Client()
    client.force_login(make_user("root", Role.ADMINISTRATOR))

    # then every list loads
    for model in ("eventsource", "alert", "event", "heartbeat", "maintenancewindow", "activecheck"):
        assert client.get(f"/admin/events/{model}/").status_code == 200, model

    # and a template reaching for attributes is refused beside its field
    answer = client.post(
        f"/admin/events/eventsource/{source.pk}/change/",
        {"name": source.name, "kind": "generic", "description": "", "is_active": "on",
         "key_template": "{resource.__class__}", "incident_severities": '["critical"]',
         "resolve_incidents": "on", "default_group": ""},
    )  # fmt: skip
    assert answer.status_code == 200
    assert "Use only {resource}" in answer.content.decode()
    source.refresh_from_db()
    assert source.key_template == ""
