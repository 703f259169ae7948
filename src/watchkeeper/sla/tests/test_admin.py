"""The calendar editor for administrators (Django admin): an edit there is recorded as history."""

from __future__ import annotations

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.sla import actions
from watchkeeper.sla.models import Calendar


def _inline(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{name}": value for name, value in row.items()})
    return data


def test_a_calendar_added_in_the_admin_has_its_history_entry(make_user):
    admin = make_user("ada", Role.ADMINISTRATOR)
    client = Client()
    client.force_login(admin)
    data = {
        "name": "Lisbon",
        "time_zone": "Europe/Lisbon",
        "holiday_country": "PT",
        "holiday_subdivision": "",
        **_inline("hours", [{"weekday": "0", "start": "09:00", "end": "18:00"}]),
        **_inline(
            "holidays",
            [{"date": "2026-12-08", "name": "Immaculate Conception", "source": "manual"}],
        ),
        **_inline("exceptions", []),
    }

    response = client.post("/admin/sla/calendar/add/", data)

    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Lisbon")
    [entry] = history_of(calendar)
    assert entry.action == "created" and entry.actor == admin
    assert entry.changes["hours"]["new"] == ["Monday 09:00-18:00"]
    assert entry.changes["holidays"]["new"] == ["2026-12-08: Immaculate Conception"]


def test_an_agent_cannot_open_the_calendar_editor(make_user):
    client = Client()
    client.force_login(make_user("alex", Role.AGENT))
    assert client.get("/admin/sla/calendar/").status_code in (302, 403)


def test_a_calendar_deleted_in_the_admin_ends_its_history(make_user):
    admin = make_user("ada", Role.ADMINISTRATOR)
    calendar = actions.save_calendar(None, acting_user=admin, name="Unused")
    client = Client()
    client.force_login(admin)

    response = client.post(f"/admin/sla/calendar/{calendar.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Calendar.objects.filter(pk=calendar.pk).exists()
    assert verify_history() == []
