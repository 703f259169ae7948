"""The SLA in the workspace: the breaching-soon queue, queue badges and the record page card."""

from __future__ import annotations

import time_machine
from django.test import Client

from watchkeeper.core.choices import Channel
from watchkeeper.sla.tests.conftest import berlin


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_breaching_soon_queue_lists_what_is_due_first(
    make_definition, make_incident, requester, agent, desk
):
    # given a one-hour SLA for P1 and eight hours for the rest, and one incident of each
    make_definition(targets={None: 480, 1: 60})
    with time_machine.travel(berlin(2026, 11, 30, 9), tick=False):
        urgent = make_incident(
            "Core switch down", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk, impact=1, urgency=1,
        )  # fmt: skip
        calm = make_incident(
            "New mouse", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk,
        )  # fmt: skip

    # when the agent opens the breaching-soon queue at 09:30
    with time_machine.travel(berlin(2026, 11, 30, 9, 30), tick=False):
        page = _client(agent).get("/desk/?queue=breaching").content.decode()

    # then only the P1 is there, with its badge saying when it is due
    assert urgent.number in page and calm.number not in page
    assert "Due in 30 min" in page


def test_every_queue_shows_the_sla_and_the_record_page_its_card(
    make_definition, make_incident, requester, agent, desk
):
    make_definition()
    with time_machine.travel(berlin(2026, 11, 30, 9), tick=False):
        incident = make_incident(
            "Toner empty", caller=requester, acting_user=agent, channel=Channel.PHONE,
            assignment_group=desk,
        )  # fmt: skip
    with time_machine.travel(berlin(2026, 11, 30, 10), tick=False):
        queue = _client(agent).get("/desk/?queue=open").content.decode()
        record = _client(agent).get(f"/desk/incidents/{incident.number}/").content.decode()

    assert "Due in 7 h" in queue
    assert 'id="sla"' in record and "Resolution" in record and "1 h of 8 h" in record


def test_a_requester_never_sees_the_sla_card(make_definition, make_incident, requester):
    make_definition()
    incident = make_incident(caller=requester)
    page = _client(requester).get(f"/portal/incidents/{incident.number}/").content.decode()
    assert 'id="sla"' not in page
