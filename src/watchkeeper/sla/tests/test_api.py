"""The SLA API: a record's clocks, calendar and definition CRUD, errors and permissions."""

from __future__ import annotations

import json

import pytest
import time_machine

from watchkeeper.accounts.choices import Role
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.sla.models import Calendar, SlaDefinition
from watchkeeper.sla.tests.conftest import berlin

API = "/api/v1"
JSON = "application/json"


@pytest.fixture
def admin_api(api_client, make_user):
    return api_client(make_user("ada", Role.ADMINISTRATOR))


@pytest.fixture
def agent_api(api_client, agent):
    return api_client(agent)


def _post(client, path, body):
    return client.post(f"{API}{path}", json.dumps(body), content_type=JSON)


def _patch(client, path, body):
    return client.patch(f"{API}{path}", json.dumps(body), content_type=JSON)


def _put(client, path, body):
    return client.put(f"{API}{path}", json.dumps(body), content_type=JSON)


def test_an_incidents_clocks_come_with_their_intervals(
    agent_api, make_definition, make_incident, requester, agent, desk
):
    make_definition()
    with time_machine.travel(berlin(2026, 11, 30, 10), tick=False):
        incident = make_incident(
            "Scanner offline", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk,
        )  # fmt: skip

    with time_machine.travel(berlin(2026, 11, 30, 18), tick=False):
        response = agent_api.get(f"{API}/incidents/{incident.number}/sla")

    assert response.status_code == 200, response.content
    [clock] = response.json()
    assert clock["definition"] == "Resolution" and clock["status"] == "running"
    assert clock["target_seconds"] == 8 * 3600
    assert [i["kind"] for i in clock["intervals"]] == ["running", "outside_hours"]
    assert clock["due_at"].startswith("2026-12-01T09:00")  # 10:00 Berlin next morning
    assert set(clock["thresholds"]) == {"50", "75", "90", "100"}


def test_a_requester_cannot_read_sla_clocks(api_client, make_incident, requester):
    incident = make_incident(caller=requester)
    response = api_client(requester).get(f"{API}/incidents/{incident.number}/sla")
    assert response.status_code == 403


def test_an_administrator_creates_changes_and_deletes_a_calendar(admin_api):
    # when an administrator creates a calendar with two intervals a day
    body = {
        "name": "Hamburg office",
        "time_zone": "Europe/Berlin",
        "hours": [
            {"weekday": day, "start": start, "end": end}
            for day in range(5)
            for start, end in (("08:00", "12:00"), ("13:00", "17:00"))
        ],
    }
    created = _post(admin_api, "/sla/calendars", body)
    assert created.status_code == 201, created.content
    calendar_id = created.json()["id"]
    assert len(created.json()["hours"]) == 10

    # and sets a holiday, a short day and renames it
    holiday = _put(
        admin_api,
        f"/sla/calendars/{calendar_id}/holidays/2026-12-31",
        {"date": "2026-12-31", "name": "Office closed"},
    )
    assert holiday.json()["holidays"] == [
        {"date": "2026-12-31", "name": "Office closed", "source": "manual"}
    ]
    short = _put(
        admin_api,
        f"/sla/calendars/{calendar_id}/exceptions/2026-12-24",
        {"intervals": [["09:00", "12:00"]], "note": "Christmas Eve"},
    )
    assert short.json()["exceptions"][0]["note"] == "Christmas Eve"
    renamed = _patch(admin_api, f"/sla/calendars/{calendar_id}", {"name": "Hamburg"})
    assert renamed.json()["name"] == "Hamburg"

    # then each change is in the calendar's history
    calendar = Calendar.objects.get(pk=calendar_id)
    actions = [entry.action for entry in history_of(calendar)]
    assert actions == ["created", "holiday_set", "exception_set", "changed"]

    # and it can be deleted while no definition uses it, the deletion ending its history
    assert admin_api.delete(f"{API}/sla/calendars/{calendar_id}").status_code == 204
    assert not Calendar.objects.filter(pk=calendar_id).exists()
    assert verify_history() == []


def test_holidays_are_generated_for_the_calendars_country(admin_api):
    created = _post(
        admin_api,
        "/sla/calendars",
        {"name": "Munich", "time_zone": "Europe/Berlin", "holiday_country": "DE",
         "holiday_subdivision": "BY"},
    )  # fmt: skip
    calendar_id = created.json()["id"]

    generated = _post(
        admin_api, f"/sla/calendars/{calendar_id}/holidays/generate", {"years": [2026]}
    )

    assert generated.status_code == 200, generated.content
    names = {h["date"]: h["name"] for h in generated.json()["holidays"]}
    assert names["2026-12-25"] == "Christmas Day"
    assert "2026-01-06" in names  # Epiphany: Bavaria, not all of Germany
    assert all(h["source"] == "generated" for h in generated.json()["holidays"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Nowhere", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "Bad", "hours": [{"weekday": 9, "start": "08:00", "end": "17:00"}]}, "weekday"),
    ],
)
def test_a_bad_calendar_is_a_clear_4xx(admin_api, body, field):
    response = _post(admin_api, "/sla/calendars", body)
    assert response.status_code in (400, 422)
    assert field in response.json()["detail"]
    assert not Calendar.objects.filter(name=body["name"]).exists()


def test_generating_without_a_country_names_the_field(admin_api, office):
    response = _post(admin_api, f"/sla/calendars/{office.pk}/holidays/generate", {"years": [2026]})
    assert response.status_code == 400
    assert "holiday_country" in response.json()["detail"]


def test_definitions_are_created_changed_and_protected(admin_api, office, desk):
    body = {
        "name": "Desk OLA",
        "kind": "ola",
        "metric": "resolution",
        "calendar": office.pk,
        "assignment_groups": [desk.pk],
        "targets": [{"priority": None, "minutes": 240}, {"priority": 1, "minutes": 60}],
        "actions": [{"percent": 100, "action": "notify_group_manager"}],
    }
    created = _post(admin_api, "/sla/definitions", body)
    assert created.status_code == 201, created.content
    definition_id = created.json()["id"]
    assert created.json()["assignment_groups"] == [desk.pk]

    changed = _patch(
        admin_api, f"/sla/definitions/{definition_id}", {"targets": [{"minutes": 120}]}
    )
    assert changed.json()["targets"] == [{"priority": None, "minutes": 120}]
    definition = SlaDefinition.objects.get(pk=definition_id)
    assert [e.action for e in history_of(definition)] == ["created", "changed"]
    assert "targets" in history_of(definition).last().changes

    # a calendar in use cannot be deleted
    response = admin_api.delete(f"{API}/sla/calendars/{office.pk}")
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"calendar": 999999}, "calendar"),
        ({"assignment_groups": [999999]}, "assignment_groups"),
        ({"services": ["CI9999999"]}, "services"),
        ({"thresholds": [50, 120]}, "thresholds"),
        ({"actions": [{"percent": 100, "action": "reassign"}]}, "actions"),
        ({"targets": []}, "targets"),
        ({"targets": [{"minutes": 30}, {"minutes": 60}]}, "targets"),
    ],
)
def test_a_bad_definition_is_refused_whole(admin_api, office, change, field):
    body = {
        "name": "Broken",
        "metric": "response",
        "calendar": office.pk,
        "targets": [{"minutes": 30}],
        **change,
    }
    response = _post(admin_api, "/sla/definitions", body)
    assert response.status_code in (400, 422), response.content
    assert field in response.json()["detail"]
    assert not SlaDefinition.objects.filter(name="Broken").exists()


def test_a_definition_that_ran_clocks_is_deactivated_not_deleted(
    admin_api, make_definition, make_incident, requester
):
    definition = make_definition()
    make_incident(caller=requester)
    response = admin_api.delete(f"{API}/sla/definitions/{definition.pk}")
    assert response.status_code == 409
    assert "deactivate" in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.RESOLVER, Role.INCIDENT_MANAGER, Role.AUDITOR])
def test_staff_read_but_only_configurers_write(api_client, make_user, office, role):
    client = api_client(make_user(f"someone_{role}", role))
    assert client.get(f"{API}/sla/calendars").status_code == 200
    assert client.get(f"{API}/sla/definitions").status_code == 200
    assert _post(client, "/sla/calendars", {"name": "Mine"}).status_code == 403
    assert _patch(client, f"/sla/calendars/{office.pk}", {"name": "x"}).status_code == 403
    assert client.delete(f"{API}/sla/calendars/{office.pk}").status_code == 403


def test_a_service_owner_configures_and_a_requester_sees_nothing(api_client, make_user):
    owner = api_client(make_user("sam", Role.SERVICE_OWNER))
    assert _post(owner, "/sla/calendars", {"name": "24x7", "always_open": True}).status_code == 201
    requester = api_client(make_user("rick", Role.REQUESTER))
    assert requester.get(f"{API}/sla/calendars").status_code == 403
    assert requester.get(f"{API}/sla/definitions").status_code == 403
