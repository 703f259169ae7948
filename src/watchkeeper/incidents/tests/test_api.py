"""The incidents API: every endpoint's happy path, visibility, concurrency, bad input, paging."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.incidents import actions
from watchkeeper.incidents.models import Incident

API = "/api/v1"


def _body(response) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.loads(response.content)


def _ok(response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:400])
    return _body(response)


def _error(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = _body(response)
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body["detail"]


def _send(client: Client, method: str, path: str, body: Any = None):
    if body is None:
        return getattr(client, method)(path)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(path, data=data, content_type="application/json")


@pytest.fixture
def service(admin_user):
    return create_ci(name="E-mail", ci_class="business_service", acting_user=admin_user)


@pytest.fixture
def server(admin_user):
    return create_ci(name="mail01", ci_class="server", acting_user=admin_user)


@pytest.fixture
def agent_api(agent, desk, api_client) -> Client:
    return api_client(agent)


@pytest.fixture
def requester_api(requester, api_client) -> Client:
    return api_client(requester)


@pytest.fixture
def manager_api(manager, desk, api_client) -> Client:
    return api_client(manager)


@pytest.fixture
def ticket(make_incident, requester, agent, desk) -> Incident:
    """A new incident of ``requester``'s, assigned to the service desk."""
    return make_incident(
        "VPN drops every hour",
        caller=requester,
        acting_user=agent,
        assignment_group=desk,
        description="Since Monday",
    )


def _url(incident: Incident, suffix: str = "") -> str:
    return f"{API}/incidents/{incident.number}{suffix}"


# --- create and read ------------------------------------------------------------------------


def test_a_requester_reports_an_incident_for_themselves(requester_api, service):
    # when a requester reports an incident through the API
    body = _ok(
        _send(
            requester_api,
            "post",
            f"{API}/incidents",
            {"short_description": "Laptop will not boot", "urgency": 1, "service": service.number},
        ),
        201,
    )

    # then it is theirs, came in by API, and has the matrix's priority
    assert body["number"].startswith("INC")
    assert body["caller"] == "rita"
    assert body["channel"] == "api"
    assert body["state"] == "new"
    assert (body["impact"], body["urgency"], body["priority"]) == (3, 1, 3)
    assert body["service"] == {"number": service.number, "name": "E-mail"}
    assert body["version"] == 1
    assert body["work_note_count"] is None


def test_an_agent_creates_an_incident_for_a_caller_with_every_field(
    agent_api, requester, agent, desk, service, server, make_category, make_user
):
    # given a category tree and a colleague to watch
    hardware = make_category("Hardware")
    disk = make_category("Disk", parent=hardware)
    make_user("wanda")
    payload = {
        "short_description": "Mail server disk full",
        "description": "**Urgent**",
        "caller": "rita",
        "channel": "phone",
        "category": hardware.pk,
        "subcategory": disk.pk,
        "service": str(service.pk),
        "configuration_item": server.number,
        "impact": 1,
        "urgency": 2,
        "assignment_group": desk.pk,
        "assignee": "alex",
        "watch_list": ["wanda"],
        "tags": ["storage", "mail"],
    }

    # when an agent records it from a phone call
    body = _ok(_send(agent_api, "post", f"{API}/incidents", payload), 201)

    # then every field is set as asked
    assert body["caller"] == "rita"
    assert body["opened_by"] == "alex"
    assert body["channel"] == "phone"
    assert body["category"] == {"id": hardware.pk, "name": "Hardware"}
    assert body["subcategory"]["name"] == "Disk"
    assert body["configuration_item"]["number"] == server.number
    assert body["priority"] == 2
    assert body["assignment_group"] == {"id": desk.pk, "name": "Service desk"}
    assert body["assignee"] == "alex"
    assert body["watch_list"] == ["wanda"]
    assert body["tags"] == ["mail", "storage"]
    assert body["assigned_at"] is not None
    assert body["work_note_count"] == 0
    # and the answer to the creation is exactly what reading it back gives
    number = body["number"]
    assert _ok(agent_api.get(f"{API}/incidents/{number}")) == body


def test_an_incident_manager_overrides_the_priority_when_creating(manager_api):
    # when an incident manager reports with an overridden priority
    payload = {
        "short_description": "CEO cannot print",
        "priority": 1,
        "priority_override_reason": "VIP",
    }
    body = _ok(_send(manager_api, "post", f"{API}/incidents", payload), 201)

    # then the override and its reason are kept
    assert body["priority"] == 1
    assert body["priority_override_reason"] == "VIP"


def test_get_an_incident_shows_its_fields_counts_and_relations(
    agent_api, ticket, agent, make_incident, requester
):
    # given a child incident, a comment and a work note
    child = make_incident("Also me", caller=requester, acting_user=agent, parent=ticket)
    actions.add_comment(ticket, body="Any news?", acting_user=requester)
    actions.add_work_note(ticket, body="Checked the tunnel", acting_user=agent)

    # when the agent reads it
    body = _ok(agent_api.get(_url(ticket)))

    # then it shows everything with its counts
    assert body["number"] == ticket.number
    assert body["description"] == "Since Monday"
    assert body["children"] == [child.number]
    assert body["parent"] is None
    assert body["comment_count"] == 1
    assert body["work_note_count"] == 1
    assert body["attachment_count"] == 0
    assert body["caller"] == "rita"
    assert body["created_at"] and body["updated_at"]
    child_body = _ok(agent_api.get(_url(child)))
    assert child_body["parent"] == ticket.number


def test_the_activity_stream_merges_comments_notes_and_history(agent_api, ticket, agent):
    # given a comment, a work note and a state change
    actions.add_comment(ticket, body="We are on it", acting_user=agent)
    actions.add_work_note(ticket, body="Secret tunnel key rotated", acting_user=agent)
    actions.start_work(ticket, acting_user=agent)

    # when staff read the activity
    items = _ok(agent_api.get(_url(ticket, "/activity")))

    # then comments, notes and history come in time order
    types = [item["type"] for item in items]
    assert types[0] == "history" and items[0]["action"] == "created"
    assert "comment" in types and "work_note" in types
    assert items[-1]["action"] == "work_started"
    assert [item["at"] for item in items] == sorted(item["at"] for item in items)


def test_a_requester_never_sees_work_notes_in_the_activity(requester_api, ticket, agent):
    # given a work note and a comment on the requester's incident
    actions.add_work_note(ticket, body="Caller is difficult, be patient", acting_user=agent)
    actions.add_comment(ticket, body="Please restart", acting_user=agent)

    # when the requester reads the incident and its activity
    response = requester_api.get(_url(ticket, "/activity"))
    detail = _ok(requester_api.get(_url(ticket)))

    # then the comment is there and the note is not, anywhere
    assert response.status_code == 200
    assert b"Please restart" in response.content
    assert b"Caller is difficult" not in response.content
    assert {item["type"] for item in _body(response)} <= {"comment", "history"}
    assert detail["work_note_count"] is None
    assert b"Caller is difficult" not in requester_api.get(_url(ticket)).content


def test_a_requester_does_not_see_other_incidents_named_in_the_history(
    requester_api, ticket, agent, make_incident, make_user
):
    # given the requester's incident made the child of someone else's incident
    other = make_incident("Payroll server of HR is down", caller=make_user())
    actions.update_incident(ticket, parent=other, acting_user=agent)

    # when the requester reads the activity
    response = requester_api.get(_url(ticket, "/activity"))

    # then the other incident's number and text appear nowhere, but the staff see them
    assert response.status_code == 200
    assert other.number.encode() not in response.content
    assert b"Payroll server" not in response.content
    assert b"Payroll server" in agent_api_get(agent, ticket).content


def agent_api_get(agent, ticket):
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return client.get(_url(ticket, "/activity"))


# --- update and optimistic concurrency -----------------------------------------------------


def test_update_changes_fields_and_recomputes_the_priority(agent_api, ticket):
    # when the agent raises impact and urgency with the version they read
    body = _ok(
        _send(
            agent_api,
            "patch",
            _url(ticket),
            {"version": 1, "impact": 1, "urgency": 1, "short_description": "VPN down"},
        )
    )

    # then the fields change, the priority follows the matrix and the version grows
    assert body["short_description"] == "VPN down"
    assert body["priority"] == 1
    assert body["version"] == 2


def test_a_stale_version_answers_409_with_the_current_version(agent_api, ticket, agent):
    # given someone else changed the incident after the agent read version 1
    actions.start_work(ticket, acting_user=agent)

    # when the agent saves against version 1
    response = _send(agent_api, "patch", _url(ticket), {"version": 1, "urgency": 1})

    # then it is a conflict naming the current version, and nothing changed
    detail = _error(response, 409)
    assert "changed by someone else" in detail
    assert _body(response)["current_version"] == 2
    assert Incident.objects.get(pk=ticket.pk).urgency == 3


def test_a_stale_version_on_an_action_answers_409(agent_api, ticket, agent):
    # given the incident moved on to version 2
    actions.start_work(ticket, acting_user=agent)

    # when the agent puts it on hold and comments against version 1
    hold = _send(
        agent_api, "post", _url(ticket, "/hold"), {"reason": "awaiting_vendor", "version": 1}
    )
    comment = _send(agent_api, "post", _url(ticket, "/comments"), {"body": "x", "version": 1})

    # then both are refused
    assert _body(hold)["current_version"] == 2 and hold.status_code == 409
    assert comment.status_code == 409
    assert Incident.objects.get(pk=ticket.pk).state == "in_progress"


# --- the lifecycle actions -------------------------------------------------------------------


def test_assign_start_hold_resolve_and_close(agent_api, requester_api, ticket, make_group, agent):
    # given a second group with the agent in it
    network = make_group("Network", members=(agent,))

    # when the agent assigns, starts, holds, resumes and resolves
    body = _ok(
        _send(agent_api, "post", _url(ticket, "/assign"), {"group": network.pk, "assignee": "alex"})
    )
    assert (body["assignment_group"]["name"], body["assignee"]) == ("Network", "alex")
    assert body["reassignment_count"] == 1
    assert _ok(_send(agent_api, "post", _url(ticket, "/start"), {}))["state"] == "in_progress"
    held = _ok(_send(agent_api, "post", _url(ticket, "/hold"), {"reason": "awaiting_vendor"}))
    assert (held["state"], held["hold_reason"]) == ("on_hold", "awaiting_vendor")
    _ok(_send(agent_api, "post", _url(ticket, "/start"), {"version": held["version"]}))
    resolved = _ok(
        _send(
            agent_api,
            "post",
            _url(ticket, "/resolve"),
            {"code": "solved_permanently", "notes": "Replaced the token"},
        )
    )

    # then it is resolved, and the caller can confirm by closing it
    assert resolved["state"] == "resolved"
    assert resolved["resolution_code"] == "solved_permanently"
    assert resolved["resolved_by"] == "alex"
    closed = _ok(_send(requester_api, "post", _url(ticket, "/close"), {}))
    assert closed["state"] == "closed" and closed["closed_at"]


def test_the_caller_reopens_a_resolved_incident(requester_api, ticket, agent):
    # given a resolved incident
    actions.resolve(ticket, code="solved_workaround", notes="Rebooted", acting_user=agent)

    # when the caller reopens it
    body = _ok(_send(requester_api, "post", _url(ticket, "/reopen"), {"reason": "Still broken"}))

    # then it is in progress again, counted as reopened
    assert body["state"] == "in_progress"
    assert body["reopen_count"] == 1


def test_the_caller_cancels_their_incident(requester_api, ticket):
    # when the caller cancels
    body = _ok(_send(requester_api, "post", _url(ticket, "/cancel"), {"reason": "Works now"}))

    # then it is canceled
    assert body["state"] == "canceled"


def test_comments_and_work_notes(agent_api, requester_api, ticket):
    # when the requester comments and the agent adds a work note
    comment = _ok(_send(requester_api, "post", _url(ticket, "/comments"), {"body": "*Help*"}), 201)
    note = _ok(_send(agent_api, "post", _url(ticket, "/work-notes"), {"body": "Looking"}), 201)

    # then both are stored, rendered as safe HTML
    assert comment["type"] == "comment" and comment["author"] == "rita"
    assert "<em>Help</em>" in comment["body_html"]
    assert note["type"] == "work_note"
    assert _ok(agent_api.get(_url(ticket)))["comment_count"] == 1


def test_attachments_upload_and_download(agent_api, requester_api, ticket, settings, tmp_path):
    # given files stored in a temporary directory
    settings.MEDIA_ROOT = tmp_path

    # when the requester attaches a log and the agent an internal file
    public = _ok(
        requester_api.post(
            _url(ticket, "/attachments"),
            {"file": SimpleUploadedFile("vpn.log", b"line 1\n", content_type="text/plain")},
        ),
        201,
    )
    internal = _ok(
        agent_api.post(
            _url(ticket, "/attachments"),
            {"file": SimpleUploadedFile("notes.txt", b"secret"), "internal": "true"},
        ),
        201,
    )

    # then the requester downloads their file, as a download that browsers never sniff
    response = requester_api.get(public["download_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"line 1\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    # and never sees the internal one; staff do
    assert internal["internal"] is True
    _error(requester_api.get(internal["download_url"]), 404)
    assert agent_api.get(internal["download_url"]).status_code == 200
    names = [a["name"] for a in _ok(requester_api.get(_url(ticket)))["attachments"]]
    assert names == ["vpn.log"]
    assert _ok(agent_api.get(_url(ticket)))["attachment_count"] == 2
    _error(requester_api.get(_url(ticket, "/attachments/999999")), 404)


def test_priority_override_watch_list_and_tags(manager_api, ticket, make_user):
    # given a colleague
    make_user("wanda")

    # when the incident manager overrides the priority and sets the watch list and tags
    body = _ok(
        _send(manager_api, "post", _url(ticket, "/priority"), {"priority": 2, "reason": "Board"})
    )
    watch = _ok(_send(manager_api, "put", _url(ticket, "/watch-list"), {"usernames": ["wanda"]}))
    tags = _ok(_send(manager_api, "put", _url(ticket, "/tags"), {"names": ["VPN", "remote"]}))

    # then each is applied
    assert (body["priority"], body["priority_override_reason"]) == (2, "Board")
    assert watch["watch_list"] == ["wanda"]
    assert tags["tags"] == ["remote", "vpn"]


def test_a_major_incident_with_updates_and_a_completed_review_closes(manager_api, ticket, manager):
    # when the incident manager declares it major and posts a stakeholder update
    declared = _ok(
        _send(
            manager_api,
            "post",
            _url(ticket, "/major"),
            {"reason": "Everyone is offline", "manager": "morgan"},
        )
    )
    update = _ok(
        _send(
            manager_api,
            "post",
            _url(ticket, "/major/updates"),
            {"body": "Vendor engaged", "recipients": ["cio@example.org"]},
        ),
        201,
    )

    # then it is major, with a communication log
    assert declared["is_major"] is True
    assert declared["major_manager"] == "morgan"
    assert update["recipients"] == ["cio@example.org"]
    assert [u["body"] for u in _ok(manager_api.get(_url(ticket)))["major_updates"]] == [
        "Vendor engaged"
    ]

    # and it closes only after the review is complete
    actions.resolve(ticket, code="solved_permanently", notes="Fixed", acting_user=manager)
    detail = _error(_send(manager_api, "post", _url(ticket, "/close"), {}), 400)
    assert "review" in detail
    sections = {
        name: "Written"
        for name in ("summary", "timeline", "root_cause", "lessons_learned", "follow_up_actions")
    }
    review = _ok(_send(manager_api, "put", _url(ticket, "/review"), {**sections, "complete": True}))
    assert review["completed_by"] == "morgan"
    assert _ok(_send(manager_api, "post", _url(ticket, "/close"), {}))["state"] == "closed"


# --- related records and parent/child --------------------------------------------------------


def test_relating_and_unrelating_two_incidents(agent_api, ticket, make_incident, agent):
    # given another incident
    other = make_incident("VPN slow", acting_user=agent)

    # when the agent relates them, then removes the relation
    related = _ok(agent_api.post(_url(ticket, f"/related/{other.number}")))
    from_other = _ok(agent_api.get(_url(other)))
    unrelated = _ok(agent_api.delete(_url(other, f"/related/{ticket.number}")))

    # then both sides listed each other, and the removal answers the incident it was sent to
    assert related["number"] == ticket.number and related["related"] == [other.number]
    assert from_other["related"] == [ticket.number]
    assert unrelated["number"] == other.number and unrelated["related"] == []
    assert _ok(agent_api.get(_url(ticket)))["related"] == []
    actions_seen = [e["action"] for e in _ok(agent_api.get(_url(ticket, "/activity")))]
    assert actions_seen[-2:] == ["related", "unrelated"]


def test_bad_relations_answer_4xx(agent_api, ticket, make_incident, agent):
    # given two related incidents
    other = make_incident("VPN slow", acting_user=agent)
    actions.relate(ticket, other, acting_user=agent)

    # when / then
    assert "already related" in _error(
        agent_api.post(_url(ticket, f"/related/{other.number}")), 400
    )
    assert "itself" in _error(agent_api.post(_url(ticket, f"/related/{ticket.number}")), 400)
    _error(agent_api.post(_url(ticket, "/related/INC9999999")), 404)
    _error(agent_api.post(_url(ticket, "/related/not-a-number")), 404)
    _error(agent_api.delete(_url(ticket, "/related/INC9999999")), 404)
    agent_api.delete(_url(ticket, f"/related/{other.number}"))
    assert "not related" in _error(agent_api.delete(_url(ticket, f"/related/{other.number}")), 400)


def test_setting_and_clearing_the_parent_by_patch(agent_api, ticket, make_incident, agent):
    # given another incident
    child = make_incident("VPN slow", acting_user=agent)

    # when it gets the ticket as parent, then none
    linked = _ok(_send(agent_api, "patch", _url(child), {"version": 1, "parent": ticket.number}))
    parent = _ok(agent_api.get(_url(ticket)))
    cleared = _ok(_send(agent_api, "patch", _url(child), {"version": 2, "parent": None}))

    # then
    assert linked["parent"] == ticket.number and parent["children"] == [child.number]
    assert cleared["parent"] is None and cleared["version"] == 3
    assert _ok(agent_api.get(_url(ticket)))["children"] == []


def test_parent_cycles_and_grandchildren_answer_400(agent_api, ticket, make_incident, agent):
    # given ticket > child, and a third incident
    child = make_incident("VPN slow", acting_user=agent, parent=ticket)
    third = make_incident("Printer", acting_user=agent)

    # when / then: the parent cannot become its child's child, nor the child a parent
    cycle = _send(agent_api, "patch", _url(ticket), {"version": 1, "parent": child.number})
    assert "descendant" in _error(cycle, 400) and "parent" in _error(cycle, 400)
    deeper = _send(agent_api, "patch", _url(third), {"version": 1, "parent": child.number})
    assert ticket.number in _error(deeper, 400)
    assert Incident.objects.get(pk=ticket.pk).parent is None
    assert Incident.objects.get(pk=third.pk).parent is None


def test_a_requester_sees_links_only_to_incidents_they_may_see(
    requester_api, ticket, make_incident, agent, requester
):
    # given the requester's ticket is the parent of their other ticket and of someone else's,
    # and related to someone else's
    mine = make_incident("Mine too", caller=requester, acting_user=agent, parent=ticket)
    theirs = make_incident("Not yours", acting_user=agent, parent=ticket)
    related = make_incident("Also not yours", acting_user=agent)
    actions.relate(ticket, related, acting_user=agent)

    # when the requester reads their ticket
    body = _ok(requester_api.get(_url(ticket)))

    # then only their own linked incident shows
    assert body["children"] == [mine.number]
    assert body["related"] == []
    assert theirs.number not in json.dumps(body) and related.number not in json.dumps(body)


# --- who may do what -------------------------------------------------------------------------


def test_a_requester_lists_only_their_own_incidents(
    requester_api, requester, make_incident, ticket
):
    # given someone else's incident besides the requester's own
    other = make_incident("Not yours")

    # when the requester lists incidents
    body = _ok(requester_api.get(f"{API}/incidents"))

    # then only their own appears
    assert [item["number"] for item in body["items"]] == [ticket.number]
    assert body["count"] == 1
    assert other.number not in json.dumps(body)


def test_a_requester_gets_404_on_other_incidents(requester_api, make_incident):
    # given someone else's incident
    other = make_incident("Not yours")

    # when the requester reads it or acts on it
    for method, suffix, payload in [
        ("get", "", None),
        ("get", "/activity", None),
        ("post", "/comments", {"body": "hi"}),
        ("post", "/cancel", {"reason": "x"}),
    ]:
        # then it does not exist for them
        _error(_send(requester_api, method, _url(other, suffix), payload), 404)


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("patch", "", {"version": 1, "urgency": 1}),
        ("post", "/assign", {"group": None}),
        ("post", "/start", {}),
        ("post", "/hold", {"reason": "awaiting_caller"}),
        ("post", "/resolve", {"code": "solved_permanently", "notes": "x"}),
        ("post", "/work-notes", {"body": "x"}),
        ("post", "/priority", {"priority": 1, "reason": "x"}),
        ("put", "/watch-list", {"usernames": []}),
        ("put", "/tags", {"names": []}),
        ("post", "/major", {"reason": "x", "manager": "rita"}),
        ("post", "/major/updates", {"body": "x"}),
        ("put", "/review", {"summary": "x"}),
        ("post", "/related/INC9999999", None),
        ("delete", "/related/INC9999999", None),
    ],
)
def test_a_requester_cannot_use_staff_endpoints(requester_api, ticket, method, suffix, payload):
    # when the requester calls a staff endpoint on their own incident
    response = _send(requester_api, method, _url(ticket, suffix), payload)

    # then it is forbidden and the incident is unchanged
    assert "permission" in _error(response, 403)
    assert Incident.objects.get(pk=ticket.pk).version == 1


def test_a_read_token_cannot_write(agent, desk, api_client, ticket):
    # given an agent's read-only token
    client = api_client(agent, scope="read")

    # when they read and then try to write
    assert client.get(_url(ticket)).status_code == 200
    for method, suffix, payload in [
        ("post", "", {"short_description": "x"}),
        ("patch", "", {"version": 1, "urgency": 1}),
        ("post", "/comments", {"body": "x"}),
        ("post", "/start", {}),
    ]:
        url = f"{API}/incidents" if method == "post" and not suffix else _url(ticket, suffix)
        # then every write is forbidden
        assert "read scope" in _error(_send(client, method, url, payload), 403)
    assert Incident.objects.count() == 1


def test_an_auditor_reads_everything_but_cannot_comment(make_user, api_client, ticket, agent):
    # given a work note, and an auditor
    actions.add_work_note(ticket, body="Audit me", acting_user=agent)
    client = api_client(make_user("audrey", Role.AUDITOR))

    # when the auditor reads and tries to comment
    activity = client.get(_url(ticket, "/activity"))
    comment = _send(client, "post", _url(ticket, "/comments"), {"body": "hello"})

    # then reading works, work notes included, and commenting is refused
    assert b"Audit me" in activity.content
    _error(comment, 403)


def test_unauthenticated_requests_answer_401(ticket):
    _error(Client().get(f"{API}/incidents"), 401)
    _error(Client().get(_url(ticket)), 401)


# --- bad input: always a 4xx naming the field, never a 500 -----------------------------------

LONG = "x" * 161
#: (method, path — "{n}" is a new incident's number —, body or query, status, field named)
BAD_INPUTS: list[tuple[str, str, Any, int, str]] = [
    ("post", "/incidents", {}, 422, "short_description"),
    ("post", "/incidents", {"short_description": 5}, 422, "short_description"),
    ("post", "/incidents", {"short_description": LONG}, 422, "short_description"),
    ("post", "/incidents", {"short_description": "a\x00b"}, 422, "short_description"),
    ("post", "/incidents", {"short_description": ""}, 422, "short_description"),
    ("post", "/incidents", {"short_description": "x", "caller": "ghost"}, 400, "caller"),
    ("post", "/incidents", {"short_description": "x", "channel": "fax"}, 422, "channel"),
    ("post", "/incidents", {"short_description": "x", "assignment_group": 99999}, 400,
     "assignment_group"),
    ("post", "/incidents", {"short_description": "x", "assignment_group": "desk"}, 422,
     "assignment_group"),
    ("post", "/incidents", {"short_description": "x", "assignee": "ghost"}, 400, "assignee"),
    ("post", "/incidents", {"short_description": "x", "assignee": "alex"}, 400, "assignee"),
    ("post", "/incidents", {"short_description": "x", "service": "CI9999999"}, 400, "service"),
    ("post", "/incidents", {"short_description": "x", "service": "{server}"}, 400, "service"),
    ("post", "/incidents", {"short_description": "x", "configuration_item": "nope"}, 400,
     "configuration_item"),
    ("post", "/incidents", {"short_description": "x", "category": 99999}, 400, "category"),
    ("post", "/incidents", {"short_description": "x", "urgency": 7}, 422, "urgency"),
    ("post", "/incidents", {"short_description": "x", "tags": ["has space"]}, 422, "tags"),
    ("post", "/incidents", {"short_description": "x", "watch_list": ["ghost"]}, 400, "watch_list"),
    ("post", "/incidents", {"short_description": "x", "state": "closed"}, 422, "state"),
    ("post", "/incidents", {"short_description": "x", "priority_override_reason": "why"}, 400,
     "priority_override_reason"),
    ("post", "/incidents", {"short_description": "x", "priority": 1}, 400,
     "priority_override_reason"),
    ("post", "/incidents", {"short_description": "x", "parent": "INC9999999"}, 400, "parent"),
    ("post", "/incidents", "{not json", 400, "body"),
    ("patch", "/incidents/{n}", {"urgency": 1}, 422, "version"),
    ("patch", "/incidents/{n}", {"version": "abc", "urgency": 1}, 422, "version"),
    ("patch", "/incidents/{n}", {"version": 1}, 400, "version"),
    ("patch", "/incidents/{n}", {"version": 1, "short_description": None}, 400,
     "short_description"),
    ("patch", "/incidents/{n}", {"version": 1, "short_description": LONG}, 422,
     "short_description"),
    ("patch", "/incidents/{n}", {"version": 1, "impact": 0}, 422, "impact"),
    ("patch", "/incidents/{n}", {"version": 1, "parent": "{n}"}, 400, "parent"),
    ("patch", "/incidents/{n}", {"version": 1, "state": "closed"}, 422, "state"),
    ("patch", "/incidents/{n}", {"version": 1, "description": "a\x00"}, 422, "description"),
    ("post", "/incidents/{n}/assign", {}, 422, "group"),
    ("post", "/incidents/{n}/assign", {"group": 99999}, 400, "group"),
    ("post", "/incidents/{n}/assign", {"group": "{desk}", "assignee": "ghost"}, 400, "assignee"),
    ("post", "/incidents/{n}/assign", {"group": "{desk}", "assignee": "bob"}, 400, "assignee"),
    ("post", "/incidents/{n}/assign", {"group": None, "assignee": "alex"}, 400, "assignee"),
    ("post", "/incidents/{n}/hold", {}, 422, "reason"),
    ("post", "/incidents/{n}/hold", {"reason": "bored"}, 422, "reason"),
    ("post", "/incidents/{n}/resolve", {"code": "magic", "notes": "x"}, 422, "code"),
    ("post", "/incidents/{n}/resolve", {"code": "duplicate"}, 422, "notes"),
    ("post", "/incidents/{n}/resolve", {"code": "duplicate", "notes": "   "}, 400, "notes"),
    ("post", "/incidents/{n}/close", {}, 400, "state"),
    ("post", "/incidents/{n}/close", {"version": -1}, 422, "version"),
    ("post", "/incidents/{n}/reopen", {"reason": "x"}, 400, "state"),
    ("post", "/incidents/{n}/reopen", {}, 422, "reason"),
    ("post", "/incidents/{n}/cancel", {"reason": ""}, 422, "reason"),
    ("post", "/incidents/{n}/comments", {"body": ""}, 422, "body"),
    ("post", "/incidents/{n}/comments", {"body": "a\x00b"}, 422, "body"),
    ("post", "/incidents/{n}/comments", {"body": "x" * 20_001}, 422, "body"),
    ("post", "/incidents/{n}/comments", {"body": ["list"]}, 422, "body"),
    ("post", "/incidents/{n}/work-notes", {}, 422, "body"),
    ("post", "/incidents/{n}/priority", {"priority": 9, "reason": "x"}, 422, "priority"),
    ("post", "/incidents/{n}/priority", {"priority": 2}, 422, "reason"),
    ("put", "/incidents/{n}/watch-list", {"usernames": ["ghost"]}, 400, "usernames"),
    ("put", "/incidents/{n}/watch-list", {"usernames": "alex"}, 422, "usernames"),
    ("put", "/incidents/{n}/tags", {"names": [""]}, 422, "names"),
    ("put", "/incidents/{n}/tags", {"names": ["x" * 51]}, 422, "names"),
    ("post", "/incidents/{n}/major", {"reason": "x", "manager": "alex"}, 400, "manager"),
    ("post", "/incidents/{n}/major", {"reason": "x", "manager": "ghost"}, 400, "manager"),
    ("post", "/incidents/{n}/major", {"manager": "morgan"}, 422, "reason"),
    ("post", "/incidents/{n}/major/updates", {"body": "x"}, 400, "body"),
    ("post", "/incidents/{n}/major/updates", {}, 422, "body"),
    ("put", "/incidents/{n}/review", {"summary": "x"}, 400, "review"),
    ("put", "/incidents/{n}/review", {"complete": "maybe"}, 422, "complete"),
    ("get", "/incidents?state=bogus", None, 422, "state"),
    ("get", "/incidents?priority=9", None, 422, "priority"),
    ("get", "/incidents?limit=100000", None, 422, "limit"),
    ("get", "/incidents?limit=0", None, 422, "limit"),
    ("get", "/incidents?offset=1000000000000", None, 422, "offset"),
    ("get", "/incidents?offset=-1", None, 422, "offset"),
    ("get", "/incidents?cursor=garbage", None, 400, "cursor"),
    ("get", "/incidents?cursor=eyJzIjoibnVtYmVyIn0", None, 400, "cursor"),
    ("get", "/incidents?cursor={cursor}&sort=number", None, 400, "cursor"),
    ("get", "/incidents?cursor={cursor}&offset=5", None, 400, "offset"),
    ("get", "/incidents?opened_after=yesterday", None, 422, "opened_after"),
    ("get", "/incidents?updated_before=2024-13-45", None, 422, "updated_before"),
    ("get", "/incidents?assignee=ghost", None, 400, "assignee"),
    ("get", "/incidents?caller=ghost", None, 400, "caller"),
    ("get", "/incidents?assignment_group=abc", None, 422, "assignment_group"),
    ("get", "/incidents?assignment_group=99999999999999999999999", None, 422, "assignment_group"),
    ("get", "/incidents?service=CI404", None, 400, "service"),
    ("get", "/incidents?configuration_item=99999", None, 400, "configuration_item"),
    ("get", "/incidents?sort=name", None, 422, "sort"),
    ("get", "/incidents?q=a%00b", None, 422, "q"),
    ("get", "/incidents?is_major=perhaps", None, 422, "is_major"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "field"),
    BAD_INPUTS,
    ids=[f"{m} {p} {f}" for m, p, _, _, f in BAD_INPUTS],
)
def test_bad_input_answers_4xx_naming_the_field(
    admin_user, api_client, ticket, desk, server, make_user, method, path, payload, status, field
):
    # given a resolver outside the desk group, and a cursor of the default sort
    make_user("bob", Role.RESOLVER)
    client = api_client(admin_user)
    names = {"{n}": ticket.number, "{server}": server.number}
    if "{cursor}" in path:
        _send(client, "post", f"{API}/incidents", {"short_description": "second"})
        names["{cursor}"] = _ok(client.get(f"{API}/incidents?limit=1"))["next_cursor"]

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            for key, name in names.items():
                value = value.replace(key, name)
            return desk.pk if value == "{desk}" else value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    # when the request is sent
    response = _send(client, method, f"{API}{fill(path)}", fill(payload))

    # then it is refused with a message naming the field
    assert field in _error(response, status)


# --- filters, sorting, paging ----------------------------------------------------------------


def _numbers(client: Client, query: str) -> list[str]:
    return [item["number"] for item in _ok(client.get(f"{API}/incidents?{query}"))["items"]]


@pytest.fixture
def spread(make_incident, requester, agent, manager, desk, service, server, make_user):
    """Five incidents that differ in state, priority, people, CI, major and text."""
    bea = make_user("bea")
    a = make_incident("Printer jams", caller=requester, acting_user=agent, impact=1, urgency=1)
    b = make_incident(
        "Mail is slow", caller=bea, acting_user=agent, assignment_group=desk, assignee=agent,
        service=service, configuration_item=server,
    )  # fmt: skip
    c = make_incident("Printer out of toner", caller=bea, acting_user=agent, urgency=2)
    d = make_incident("Laptop broken", caller=requester, acting_user=agent, assignment_group=desk)
    e = make_incident("Network down", caller=bea, acting_user=manager, impact=1, urgency=2)
    actions.start_work(b, acting_user=agent)
    actions.put_on_hold(c, reason="awaiting_vendor", acting_user=agent)
    actions.declare_major(e, reason="All down", manager=manager, acting_user=manager)
    actions.add_comment(d, body="The keyboard smells of coffee", acting_user=agent)
    return [Incident.objects.get(pk=i.pk) for i in (a, b, c, d, e)]


def test_filters_return_the_right_rows(agent_api, spread, desk, service, server):
    a, b, c, d, e = (i.number for i in spread)
    opened = spread[2].created_at.isoformat().replace("+00:00", "Z")
    updated = quote(Incident.objects.get(number=b).updated_at.isoformat())

    assert set(_numbers(agent_api, "state=in_progress&state=on_hold")) == {b, c}
    assert _numbers(agent_api, "priority=1") == [a]
    assert set(_numbers(agent_api, f"assignment_group={desk.pk}")) == {b, d}
    assert _numbers(agent_api, "assignee=alex") == [b]
    assert set(_numbers(agent_api, "caller=rita")) == {a, d}
    assert _numbers(agent_api, f"service={service.number}") == [b]
    assert _numbers(agent_api, f"configuration_item={server.pk}") == [b]
    assert _numbers(agent_api, "is_major=true") == [e]
    assert set(_numbers(agent_api, f"opened_after={opened}")) == {c, d, e}
    assert set(_numbers(agent_api, f"opened_before={opened}")) == {a, b}
    assert b in _numbers(agent_api, f"updated_after={updated}")
    assert b not in _numbers(agent_api, f"updated_before={updated}")
    assert set(_numbers(agent_api, "q=printer")) == {a, c}
    assert _numbers(agent_api, "q=coffee") == [d]
    assert _numbers(agent_api, "q=printer&state=on_hold") == [c]


def test_text_search_never_matches_work_notes(requester_api, ticket, agent):
    # given a work note on the requester's incident
    actions.add_work_note(ticket, body="zebrafish password", acting_user=agent)

    # when the requester searches for a word of it
    body = _ok(requester_api.get(f"{API}/incidents?q=zebrafish"))

    # then nothing matches
    assert body["items"] == [] and body["count"] == 0


def test_sorting(agent_api, spread):
    numbers = [i.number for i in spread]
    assert _numbers(agent_api, "") == numbers[::-1]  # newest first by default
    assert _numbers(agent_api, "sort=created_at") == numbers
    assert _numbers(agent_api, "sort=number") == sorted(numbers)
    assert _numbers(agent_api, "sort=-number") == sorted(numbers, reverse=True)
    by_priority = sorted(spread, key=lambda i: (i.priority, i.pk))
    assert _numbers(agent_api, "sort=priority") == [i.number for i in by_priority]
    latest = Incident.objects.order_by("-updated_at", "-pk").first()
    assert _numbers(agent_api, "sort=-updated_at")[0] == latest.number


def test_offset_pagination_counts_every_row(agent_api, spread):
    body = _ok(agent_api.get(f"{API}/incidents?limit=2&offset=2&sort=created_at"))
    assert body["count"] == 5 and body["count_capped"] is False
    assert [i["number"] for i in body["items"]] == [i.number for i in spread[2:4]]
    assert body["next_cursor"]


def test_offset_pagination_stops_counting_at_the_limit(agent_api, spread, monkeypatch):
    # given a count limit below the number of incidents
    monkeypatch.setattr("watchkeeper.core.api.COUNT_LIMIT", 3)

    # when the list is asked for
    body = _ok(agent_api.get(f"{API}/incidents?limit=2"))

    # then the count stops at the limit and says there are more
    assert body["count"] == 3 and body["count_capped"] is True
    assert len(body["items"]) == 2


@pytest.mark.parametrize(
    "sort", ["-created_at", "created_at", "-updated_at", "updated_at", "number", "-priority"]
)
def test_cursor_pagination_walks_every_row_once(agent_api, spread, make_incident, sort):
    # given a few more incidents, so that pages hold ties (same priority)
    for n in range(4):
        make_incident(f"Extra {n}")
    expected = _numbers(agent_api, f"sort={sort}&limit=500")

    # when a client walks the list two rows a page by cursor
    seen: list[str] = []
    body = _ok(agent_api.get(f"{API}/incidents?sort={sort}&limit=2"))
    pages = 1
    while True:
        seen.extend(item["number"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        body = _ok(
            agent_api.get(f"{API}/incidents?sort={sort}&limit=2&cursor={body['next_cursor']}")
        )
        assert body["count"] is None
        pages += 1

    # then it saw every row once, in order, without gaps
    assert seen == expected
    assert len(seen) == 9 and pages == 5


def test_cursor_pages_keep_their_place_when_rows_are_added(agent_api, spread, make_incident):
    # given the first page of the oldest-first list
    first = _ok(agent_api.get(f"{API}/incidents?sort=created_at&limit=3"))

    # when a new incident arrives before the next page is asked for
    new = make_incident("Arrived meanwhile")
    rest = _ok(
        agent_api.get(f"{API}/incidents?sort=created_at&limit=10&cursor={first['next_cursor']}")
    )

    # then the next page starts right after the last row seen
    assert [i["number"] for i in rest["items"]] == [i.number for i in spread[3:]] + [new.number]


def test_the_list_makes_the_same_number_of_queries_for_any_page_size(
    agent_api, make_incident, agent, desk, service
):
    # given incidents with people, a group, a service and tags
    def add(count: int) -> None:
        for n in range(count):
            make_incident(
                f"Row {n}", acting_user=agent, assignment_group=desk, assignee=agent,
                service=service, tags=["a", "b"],
            )  # fmt: skip

    add(2)
    _numbers(agent_api, "limit=1")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert len(_numbers(agent_api, "limit=50")) == 2
    add(10)

    # when listing six times as many
    with CaptureQueriesContext(connection) as many:
        assert len(_numbers(agent_api, "limit=50")) == 12

    # then the number of queries stays the same (no query per row)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_reading_one_incident_makes_a_bounded_number_of_queries(agent_api, ticket, agent):
    for n in range(3):
        actions.add_comment(ticket, body=f"c{n}", acting_user=agent)
    with CaptureQueriesContext(connection) as queries:
        _ok(agent_api.get(_url(ticket)))
    assert len(queries.captured_queries) <= 20


# --- the OpenAPI document --------------------------------------------------------------------

OPERATIONS = {
    ("get", "/api/v1/incidents"): "list_incidents",
    ("post", "/api/v1/incidents"): "create_incident",
    ("get", "/api/v1/incidents/{number}"): "get_incident",
    ("patch", "/api/v1/incidents/{number}"): "update_incident",
    ("get", "/api/v1/incidents/{number}/activity"): "list_incident_activity",
    ("post", "/api/v1/incidents/{number}/assign"): "assign_incident",
    ("post", "/api/v1/incidents/{number}/start"): "start_incident_work",
    ("post", "/api/v1/incidents/{number}/hold"): "hold_incident",
    ("post", "/api/v1/incidents/{number}/resolve"): "resolve_incident",
    ("post", "/api/v1/incidents/{number}/reopen"): "reopen_incident",
    ("post", "/api/v1/incidents/{number}/close"): "close_incident",
    ("post", "/api/v1/incidents/{number}/cancel"): "cancel_incident",
    ("post", "/api/v1/incidents/{number}/comments"): "add_incident_comment",
    ("post", "/api/v1/incidents/{number}/work-notes"): "add_incident_work_note",
    ("post", "/api/v1/incidents/{number}/attachments"): "add_incident_attachment",
    (
        "get",
        "/api/v1/incidents/{number}/attachments/{attachment_id}",
    ): "download_incident_attachment",
    ("post", "/api/v1/incidents/{number}/priority"): "override_incident_priority",
    ("put", "/api/v1/incidents/{number}/watch-list"): "set_incident_watch_list",
    ("put", "/api/v1/incidents/{number}/tags"): "set_incident_tags",
    ("post", "/api/v1/incidents/{number}/major"): "declare_major_incident",
    ("post", "/api/v1/incidents/{number}/major/updates"): "post_major_incident_update",
    ("put", "/api/v1/incidents/{number}/review"): "save_incident_review",
    ("post", "/api/v1/incidents/{number}/related/{other}"): "relate_incidents",
    ("delete", "/api/v1/incidents/{number}/related/{other}"): "unrelate_incidents",
}


def test_openapi_lists_every_incidents_operation_with_its_errors(db):
    # when the OpenAPI document is fetched
    schema = _ok(Client().get(f"{API}/openapi.json"))

    # then every incidents operation is there, with its operationId and documented errors
    found = {
        (method, path): operation
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/incidents")
        for method, operation in operations.items()
        if "incidents" in operation["tags"]  # not the SLA app's view of an incident
    }
    assert set(found) == set(OPERATIONS)
    for key, operation in found.items():
        assert operation["operationId"] == OPERATIONS[key]
        assert {"403", "404"} <= set(operation["responses"]) or key[1] == "/api/v1/incidents"
    assert "cursor" in found[("get", "/api/v1/incidents")]["description"]
    assert "409" in found[("patch", "/api/v1/incidents/{number}")]["responses"]


def test_bad_attachments_answer_4xx_naming_the_field(agent_api, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = _url(ticket, "/attachments")
    assert "file" in _error(agent_api.post(url, {}), 422)
    script = SimpleUploadedFile("run.exe", b"MZ")
    assert "file" in _error(agent_api.post(url, {"file": script}), 400)
    empty = SimpleUploadedFile("empty.txt", b"")
    assert "file" in _error(agent_api.post(url, {"file": empty}), 400)
    flag = SimpleUploadedFile("a.txt", b"x")
    assert "internal" in _error(agent_api.post(url, {"file": flag, "internal": "maybe"}), 422)
    stale = SimpleUploadedFile("a.txt", b"x")
    assert _body(agent_api.post(url, {"file": stale, "version": "7"}))["current_version"] == 1
    assert not ticket.attachments.exists()


@pytest.mark.parametrize("extra", ["", "&opened_after=2000-01-01T00:00:00Z"])
def test_search_counts_up_to_its_own_limit(agent_api, spread, monkeypatch, extra):
    # given a search count limit of one, and two incidents about printers
    monkeypatch.setattr("watchkeeper.incidents.api.SEARCH_COUNT_LIMIT", 1)

    # when searching for printers (without and with a filter that keeps every row)
    body = _ok(agent_api.get(f"{API}/incidents?q=printer{extra}"))

    # then both are listed, and the count stops at one and says there are more
    assert sorted(i["short_description"] for i in body["items"]) == [
        "Printer jams",
        "Printer out of toner",
    ]
    assert body["count"] == 1 and body["count_capped"] is True
