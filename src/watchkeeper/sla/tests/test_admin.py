"""The calendar editor for administrators (Django admin): an edit there is recorded as history."""

from __future__ import annotations

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.core.history import history_of
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
