"""The portal and the agent workspace: what each user sees and may do, through the web pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import ActivityKind, HoldReason, IncidentState
from watchkeeper.incidents.models import Category, Incident, SavedFilter

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def htmx(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, headers={"HX-Request": "true"})


def text_of(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def hardware(make_category: Callable[..., Category], desk: SupportGroup) -> Category:
    return make_category("Hardware", default_group=desk)


@pytest.fixture
def laptop(make_category: Callable[..., Category], hardware: Category) -> Category:
    return make_category("Laptop", parent=hardware)


@pytest.fixture
def working(
    make_incident: Callable[..., Incident], requester: User, agent: User, desk: SupportGroup
) -> Incident:
    """Rita's incident, assigned to the agent in the desk group and in progress."""
    incident = make_incident("Laptop does not boot", caller=requester)
    actions.assign(incident, group=desk, assignee=agent, acting_user=agent)
    actions.start_work(incident, acting_user=agent)
    return incident


def upload(name: str = "screen.png", content: bytes = b"\x89PNG fake") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- portal ----------------------------------------------------------------------------------


def test_requester_reports_an_incident_that_goes_to_the_category_group(
    requester: User, hardware: Category, laptop: Category, desk: SupportGroup
) -> None:
    # given
    service = create_ci(name="E-mail", ci_class=CiClass.BUSINESS_SERVICE, acting_user=None)
    client = logged_in(requester)
    form = {
        "short_description": "Laptop screen flickers",
        "description": "Since **this morning**",
        "category": hardware.pk,
        "subcategory": laptop.pk,
        "service": service.pk,
        "urgency": 2,
    }

    # when
    response = client.post("/portal/report/", form)

    # then
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/incidents/{incident.number}/"
    assert incident.caller == requester and incident.channel == Channel.PORTAL
    assert incident.assignment_group == desk and incident.subcategory == laptop
    page = text_of(client.get(response["Location"]))
    assert "Laptop screen flickers" in page and "<strong>this morning</strong>" in page


def test_report_form_offers_category_service_choosers_and_rejects_a_mismatch(
    requester: User,
    hardware: Category,
    laptop: Category,
    make_category: Callable[..., Category],
) -> None:
    # given
    network = make_category("Network")
    client = logged_in(requester)

    # when
    form_page = text_of(client.get("/portal/report/"))
    response = client.post(
        "/portal/report/",
        {"short_description": "x", "category": network.pk, "subcategory": laptop.pk, "urgency": 3},
    )

    # then
    assert '<optgroup label="Hardware">' in form_page and "Affected service" in form_page
    assert response.status_code == 400
    assert "Laptop is not a subcategory of Network" in text_of(response)
    assert not Incident.objects.exists()


def test_my_tickets_lists_only_my_incidents_with_their_state(
    make_incident: Callable[..., Incident], requester: User
) -> None:
    # given
    mine = make_incident("My printer", caller=requester)
    theirs = make_incident("Someone else's printer")

    # when
    page = text_of(logged_in(requester).get("/portal/incidents/"))

    # then
    assert mine.number in page and "badge--state-new" in page
    assert theirs.number not in page


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", "comment/"),
        ("post", "attach/"),
        ("post", "confirm/"),
        ("post", "reject/"),
        ("post", "cancel/"),
    ],
)
def test_a_requester_gets_404_for_anyone_elses_incident(
    make_incident: Callable[..., Incident], requester: User, method: str, suffix: str
) -> None:
    # given
    other = make_incident("Not yours")
    client = logged_in(requester)

    # when
    url = f"/portal/incidents/{other.number}/{suffix}"
    response = getattr(client, method)(url, {"body": "hi", "reason": "x"})

    # then
    assert response.status_code == 404
    assert Incident.objects.get(pk=other.pk).version == other.version


def test_portal_never_shows_work_notes_or_internal_files(
    working: Incident, requester: User, agent: User
) -> None:
    # given
    actions.add_work_note(working, body="SECRET-NOTE disk is failing", acting_user=agent)
    actions.add_comment(working, body="We are on it", acting_user=agent)
    actions.add_attachment(
        working, upload=upload("internal-diagnostics.txt", b"x"), acting_user=agent, internal=True
    )
    actions.add_attachment(working, upload=upload("for-you.txt", b"y"), acting_user=agent)
    client = logged_in(requester)

    # when
    pages = [
        text_of(client.get(url))
        for url in ("/", "/portal/incidents/", f"/portal/incidents/{working.number}/")
    ]
    detail = pages[-1]

    # then
    for page in pages:
        assert "SECRET-NOTE" not in page
        assert "internal-diagnostics" not in page
    assert "We are on it" in detail and "for-you.txt" in detail
    assert "In progress" in detail  # the history of state changes


def test_requester_comments_and_attaches_on_their_incident(
    working: Incident, requester: User
) -> None:
    # given
    client = logged_in(requester)
    base = f"/portal/incidents/{working.number}/"

    # when
    commented = client.post(f"{base}comment/", {"body": "It beeps *twice*"})
    attached = client.post(f"{base}attach/", {"file": upload()})
    refused = client.post(f"{base}attach/", {"file": upload("evil.html", b"<script>")})

    # then
    assert commented.status_code == 302 and attached.status_code == 302
    assert working.activities.filter(kind=ActivityKind.COMMENT, author=requester).exists()
    assert working.attachments.filter(name="screen.png", internal=False).exists()
    assert refused.status_code == 400
    assert "are not accepted" in text_of(refused)


def test_requester_confirms_a_resolution_and_the_incident_closes(
    working: Incident, requester: User, agent: User
) -> None:
    # given
    actions.resolve(working, code="solved_permanently", notes="New disk", acting_user=agent)
    client = logged_in(requester)
    page = text_of(client.get(f"/portal/incidents/{working.number}/"))

    # when
    response = client.post(f"/portal/incidents/{working.number}/confirm/")

    # then
    assert "Is it fixed?" in page and "New disk" in page
    assert response.status_code == 302
    assert Incident.objects.get(pk=working.pk).state == IncidentState.CLOSED


def test_rejecting_a_resolution_needs_a_reason_and_reopens(
    working: Incident, requester: User, agent: User
) -> None:
    # given
    actions.resolve(working, code="solved_permanently", notes="New disk", acting_user=agent)
    version = Incident.objects.get(pk=working.pk).version
    client = logged_in(requester)
    url = f"/portal/incidents/{working.number}/reject/"

    # when
    no_reason = client.post(url, {"reason": "  ", "version": version})
    rejected = client.post(url, {"reason": "Still beeps", "version": version})

    # then
    assert no_reason.status_code == 400
    assert rejected.status_code == 302
    saved = Incident.objects.get(pk=working.pk)
    assert saved.state == IncidentState.IN_PROGRESS and saved.reopen_count == 1
    assert "Still beeps" in text_of(client.get(f"/portal/incidents/{working.number}/"))


def test_requester_cancels_their_open_ticket_with_a_reason(
    make_incident: Callable[..., Incident], requester: User
) -> None:
    # given
    incident = make_incident(caller=requester)
    client = logged_in(requester)

    # when
    response = client.post(
        f"/portal/incidents/{incident.number}/cancel/",
        {"reason": "It works again", "version": incident.version},
    )

    # then
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.CANCELED


# --- workspace queues ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/desk/", "/desk/incidents/new/", "/desk/?queue=open"])
def test_a_requester_gets_403_on_workspace_pages(requester: User, url: str) -> None:
    assert logged_in(requester).get(url).status_code == 403


def test_a_requester_opening_a_desk_link_to_their_own_incident_lands_in_the_portal(
    make_incident: Callable[..., Incident], requester: User
) -> None:
    # given
    mine = make_incident(caller=requester)
    other = make_incident()
    client = logged_in(requester)

    # when
    own = client.get(f"/desk/incidents/{mine.number}/")
    foreign = client.get(f"/desk/incidents/{other.number}/")

    # then
    assert own.status_code == 302 and own["Location"] == f"/portal/incidents/{mine.number}/"
    assert foreign.status_code == 403


def test_queues_show_my_work_my_groups_unassigned_and_majors(
    make_incident: Callable[..., Incident],
    agent: User,
    manager: User,
    desk: SupportGroup,
    make_group: Callable[..., SupportGroup],
) -> None:
    # given
    mine = make_incident("Assigned to me")
    actions.assign(mine, group=desk, assignee=agent, acting_user=agent)
    waiting = make_incident("Waiting in my group")
    actions.assign(waiting, group=desk, acting_user=agent)
    elsewhere = make_incident("Another group's")
    actions.assign(elsewhere, group=make_group("Network"), acting_user=agent)
    major = make_incident("Everything is down")
    actions.declare_major(major, reason="All sites", manager=manager, acting_user=manager)
    client = logged_in(agent)

    # when
    pages = {q: text_of(client.get(f"/desk/?queue={q}")) for q in ("mine", "groups", "major")}
    everything = text_of(client.get("/desk/?queue=open"))

    # then
    assert mine.number in pages["mine"] and waiting.number not in pages["mine"]
    assert waiting.number in pages["groups"]
    assert mine.number not in pages["groups"] and elsewhere.number not in pages["groups"]
    assert major.number in pages["major"] and mine.number not in pages["major"]
    for incident in (mine, waiting, elsewhere, major):
        assert incident.number in everything


def test_queue_filters_search_sorts_and_pages(
    make_incident: Callable[..., Incident], agent: User, desk: SupportGroup
) -> None:
    # given
    printer = make_incident("Printer jams", urgency=1)
    vpn = make_incident("VPN drops")
    actions.put_on_hold(vpn, reason=HoldReason.AWAITING_VENDOR, acting_user=agent)
    for n in range(55):
        make_incident(f"Filler {n}")
    client = logged_in(agent)

    # when
    searched = text_of(client.get("/desk/?queue=open&q=printer"))
    held = text_of(client.get("/desk/?queue=open&state=on_hold"))
    first = text_of(client.get("/desk/?queue=open&sort=priority"))
    second = text_of(client.get("/desk/?queue=open&sort=priority&page=2"))
    bad = client.get("/desk/?queue=nonsense&sort=evil&priority=x&page=abc")

    # then
    assert printer.number in searched and vpn.number not in searched
    assert vpn.number in held and printer.number not in held
    assert "Page 1 of 2" in first and printer.number in first
    assert "Page 2 of 2" in second and printer.number not in second
    assert bad.status_code == 200


def test_saved_filters_are_per_user(
    agent: User, make_user: Callable[..., User], make_incident: Callable[..., Incident]
) -> None:
    # given
    other = make_user("otto", Role.AGENT)
    client = logged_in(agent)

    # when
    saved = client.post(
        "/desk/filters/", {"name": "Vendor waits", "query": "queue=open&state=on_hold"}
    )
    duplicate = client.post("/desk/filters/", {"name": "Vendor waits", "query": "queue=mine"})

    # then
    assert saved.status_code == 302 and saved["Location"] == "/desk/?queue=open&state=on_hold"
    assert SavedFilter.objects.filter(user=agent).count() == 1 and duplicate.status_code == 302
    assert "Vendor waits" in text_of(client.get("/desk/"))
    assert "Vendor waits" not in text_of(logged_in(other).get("/desk/"))
    mine = SavedFilter.objects.get(user=agent)
    assert logged_in(other).post(f"/desk/filters/{mine.pk}/delete/").status_code == 404
    assert client.post(f"/desk/filters/{mine.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.exists()


def test_bulk_assign_reports_the_rows_that_failed(
    make_incident: Callable[..., Incident], agent: User, desk: SupportGroup, requester: User
) -> None:
    # given
    first, second = make_incident("One"), make_incident("Two")
    closed = make_incident("Done")
    actions.cancel(closed, reason="Duplicate", acting_user=agent)
    client = logged_in(agent)
    numbers = [first.number, closed.number, second.number]

    # when
    response = client.post(
        "/desk/bulk/",
        {"action": "assign", "group": desk.pk, "assignee": agent.pk, "numbers": numbers,
         "next": "/desk/?queue=open"},
        follow=True,
    )  # fmt: skip

    # then
    page = text_of(response)
    assert response.redirect_chain[-1][0] == "/desk/?queue=open"
    assert f"Done for 2: {first.number}, {second.number}" in page
    assert f"{closed.number}: " in page and "Canceled" in page
    for incident in (first, second):
        saved = Incident.objects.get(pk=incident.pk)
        assert saved.assignee == agent and saved.assignment_group == desk
    assert Incident.objects.get(pk=closed.pk).assignee is None


def test_bulk_state_change_and_comment_go_through_the_actions(
    make_incident: Callable[..., Incident], agent: User
) -> None:
    # given
    first, second = make_incident("One"), make_incident("Two")
    client = logged_in(agent)
    numbers = [first.number, second.number]

    # when
    resolved = client.post(
        "/desk/bulk/",
        {"action": "state", "state": "resolved", "resolution_code": "solved_permanently",
         "text": "Power restored", "numbers": numbers},
    )  # fmt: skip
    commented = client.post(
        "/desk/bulk/", {"action": "comment", "text": "Closing soon", "numbers": numbers}
    )
    missing = client.post("/desk/bulk/", {"action": "state", "numbers": numbers}, follow=True)

    # then
    assert resolved.status_code == commented.status_code == 302
    for incident in (first, second):
        saved = Incident.objects.get(pk=incident.pk)
        assert saved.state == IncidentState.RESOLVED and saved.resolution_notes == "Power restored"
        assert saved.activities.filter(body="Closing soon", kind=ActivityKind.COMMENT).exists()
    assert "Choose the new state" in text_of(missing)


def test_bulk_actions_need_the_work_permission(
    make_incident: Callable[..., Incident], make_user: Callable[..., User]
) -> None:
    # given
    incident = make_incident()
    auditor = make_user("aude", Role.AUDITOR)
    client = logged_in(auditor)

    # when
    queue = text_of(client.get("/desk/?queue=open"))
    response = client.post(
        "/desk/bulk/", {"action": "comment", "text": "x", "numbers": [incident.number]}
    )

    # then
    assert incident.number in queue and 'id="bulk"' not in queue
    assert response.status_code == 403
    assert not incident.activities.exists()


# --- the record page -------------------------------------------------------------------------


def test_record_shows_a_merged_activity_stream_with_work_notes_marked(
    working: Incident, agent: User
) -> None:
    # given
    actions.add_work_note(working, body="Checked the BIOS", acting_user=agent)
    actions.add_comment(working, body="Please restart", acting_user=agent)

    # when
    page = text_of(logged_in(agent).get(f"/desk/incidents/{working.number}/"))

    # then
    assert "Work note · internal" in page and "Checked the BIOS" in page
    assert "Comment · caller sees it" in page and "Please restart" in page
    assert "Work started" in page and "Assigned" in page  # history entries
    assert page.index("Please restart") < page.index("Checked the BIOS") < page.index("Created")
    assert not INLINE_SCRIPT.search(page) and not INLINE_STYLE.search(page)
    assert "Keyboard shortcuts" in page and "/static/watchkeeper/desk.js" in page


def test_htmx_adds_a_work_note_and_swaps_the_record(working: Incident, agent: User) -> None:
    # when
    response = htmx(
        logged_in(agent),
        f"/desk/incidents/{working.number}/activity/",
        {"kind": "work_note", "body": "Ordered a disk"},
    )

    # then
    assert response.status_code == 200
    assert 'id="record"' in text_of(response) and "Ordered a disk" in text_of(response)
    note = working.activities.get()
    assert note.kind == ActivityKind.WORK_NOTE


def test_editing_with_a_stale_version_shows_a_conflict_and_keeps_the_other_change(
    working: Incident, agent: User, make_user: Callable[..., User], desk: SupportGroup
) -> None:
    # given two agents who opened the same version
    colleague = make_user("cole", Role.AGENT)
    seen = Incident.objects.get(pk=working.pk).version
    fields = {"short_description": "Laptop does not boot", "impact": 3, "urgency": 3}
    logged_in(colleague).post(
        f"/desk/incidents/{working.number}/fields/",
        {**fields, "short_description": "Colleague's title", "version": seen},
    )

    # when the first one saves against the version they saw
    response = htmx(
        logged_in(agent),
        f"/desk/incidents/{working.number}/fields/",
        {**fields, "short_description": "My title", "version": seen},
    )

    # then
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page and "Reload it and apply your change again" in page
    assert 'value="My title"' in page  # what they typed is kept in the form
    assert Incident.objects.get(pk=working.pk).short_description == "Colleague's title"


def test_actions_with_a_stale_version_are_refused(working: Incident, agent: User) -> None:
    # given the page was read, then someone put the incident on hold
    stale = Incident.objects.get(pk=working.pk).version
    actions.put_on_hold(working, reason=HoldReason.AWAITING_CALLER, acting_user=agent)

    # when
    response = logged_in(agent).post(
        f"/desk/incidents/{working.number}/resolve/",
        {"code": "solved_permanently", "notes": "Done", "version": stale},
    )

    # then
    assert response.status_code == 409
    assert "changed by someone else" in text_of(response)
    assert Incident.objects.get(pk=working.pk).state == IncidentState.ON_HOLD


def test_agent_moves_an_incident_through_its_life_from_the_record_page(
    make_incident: Callable[..., Incident], agent: User, desk: SupportGroup
) -> None:
    # given
    incident = make_incident()
    client = logged_in(agent)
    url = f"/desk/incidents/{incident.number}"

    def version() -> int:
        return Incident.objects.get(pk=incident.pk).version

    # when / then
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("assign", {"group": desk.pk, "assignee": agent.pk}, IncidentState.NEW),
        ("start", {}, IncidentState.IN_PROGRESS),
        ("hold", {"reason": HoldReason.AWAITING_VENDOR}, IncidentState.ON_HOLD),
        ("start", {}, IncidentState.IN_PROGRESS),
        ("resolve", {"code": "solved_workaround", "notes": "Reboot"}, IncidentState.RESOLVED),
        ("reopen", {"reason": "Came back"}, IncidentState.IN_PROGRESS),
        ("resolve", {"code": "solved_permanently", "notes": "Swap"}, IncidentState.RESOLVED),
        ("close", {}, IncidentState.CLOSED),
    ]
    for move, data, state in steps:
        response = client.post(f"{url}/{move}/", {**data, "version": version()})
        assert response.status_code == 302, (move, text_of(response))
        assert Incident.objects.get(pk=incident.pk).state == state, move
    assert Incident.objects.get(pk=incident.pk).assignee == agent


def test_record_actions_show_field_errors_with_a_4xx(working: Incident, agent: User) -> None:
    # when
    response = htmx(
        logged_in(agent),
        f"/desk/incidents/{working.number}/resolve/",
        {"code": "solved_permanently", "notes": " ", "version": working.version},
    )
    unknown = logged_in(agent).post(f"/desk/incidents/{working.number}/explode/")

    # then
    assert response.status_code == 400
    assert "This field is required" in text_of(response)
    assert unknown.status_code == 404


def test_major_incident_declaration_updates_and_review(
    working: Incident, manager: User, agent: User
) -> None:
    # given
    client = logged_in(manager)
    url = f"/desk/incidents/{working.number}"

    # when
    refused = logged_in(agent).post(
        f"{url}/declare-major/",
        {"reason": "x", "manager": manager.pk, "version": working.version},
    )
    declared = client.post(
        f"{url}/declare-major/",
        {"reason": "All laptops", "manager": manager.pk, "version": working.version},
    )
    updated = client.post(
        f"{url}/major-update/", {"body": "Vendor engaged", "recipients": "ceo@example.org"}
    )
    review = {
        "summary": "s", "timeline": "t", "root_cause": "r", "lessons_learned": "l",
        "follow_up_actions": "f", "complete": "on",
    }  # fmt: skip
    reviewed = client.post(f"{url}/review/", review)

    # then
    assert refused.status_code in (400, 403)
    assert declared.status_code == updated.status_code == reviewed.status_code == 302
    saved = Incident.objects.get(pk=working.pk)
    assert saved.is_major and saved.review.is_complete
    page = text_of(client.get(f"{url}/"))
    assert "Vendor engaged" in page and "Completed" in page


def test_agent_creates_an_incident_for_a_caller_on_the_phone(
    agent: User, requester: User, hardware: Category, desk: SupportGroup
) -> None:
    # given
    client = logged_in(agent)
    form = {
        "caller": "rita@example.org", "channel": Channel.PHONE, "short_description": "No sound",
        "category": hardware.pk, "urgency": 2, "impact": 2,
    }  # fmt: skip

    # when
    response = client.post("/desk/incidents/new/", form)
    unknown = client.post("/desk/incidents/new/", {**form, "caller": "ghost"})

    # then
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/incidents/{incident.number}/"
    assert incident.caller == requester and incident.opened_by == agent
    assert incident.channel == Channel.PHONE and incident.assignment_group == desk
    assert unknown.status_code == 400 and "No active user" in text_of(unknown)


def test_read_only_staff_see_the_record_without_action_buttons(
    working: Incident, make_user: Callable[..., User]
) -> None:
    # given
    owner = make_user("oscar", Role.SERVICE_OWNER)
    client = logged_in(owner)

    # when
    page = text_of(client.get(f"/desk/incidents/{working.number}/"))
    posted = client.post(
        f"/desk/incidents/{working.number}/activity/", {"kind": "comment", "body": "hi"}
    )
    editing = client.get(f"/desk/incidents/{working.number}/fields/")

    # then
    assert working.number in page and "Add a work note" not in page and ">Resolve<" not in page
    assert posted.status_code == 403 and editing.status_code == 403


# --- attachments ------------------------------------------------------------------------------


def test_attachment_downloads_follow_who_may_see_the_incident(
    working: Incident, requester: User, agent: User, make_user: Callable[..., User]
) -> None:
    # given
    public = actions.add_attachment(working, upload=upload("log.txt", b"public"), acting_user=agent)
    internal = actions.add_attachment(
        working, upload=upload("notes.txt", b"internal"), acting_user=agent, internal=True
    )
    stranger = logged_in(make_user("sid", Role.REQUESTER))
    caller = logged_in(requester)
    staff = logged_in(agent)

    def url(prefix: str, attachment: Any) -> str:
        return f"/{prefix}/incidents/{working.number}/attachments/{attachment.pk}/"

    # when
    got = caller.get(url("portal", public))
    staff_got = staff.get(url("desk", internal))

    # then
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment;") and "log.txt" in got[
        "Content-Disposition"]  # fmt: skip
    assert b"".join(got.streaming_content) == b"public"
    assert staff_got.status_code == 200 and b"".join(staff_got.streaming_content) == b"internal"
    assert caller.get(url("portal", internal)).status_code == 404
    assert caller.get(url("desk", internal)).status_code == 404
    assert stranger.get(url("portal", public)).status_code == 404
    assert Client().get(url("portal", public)).status_code == 302  # to the login page


def test_agent_attaches_an_internal_file_from_the_record(working: Incident, agent: User) -> None:
    # when
    response = logged_in(agent).post(
        f"/desk/incidents/{working.number}/attach/",
        {"file": upload("trace.log", b"trace"), "internal": "on"},
    )

    # then
    assert response.status_code == 302
    assert working.attachments.get().internal


# --- the permission matrix ---------------------------------------------------------------------

WORKERS = {Role.AGENT, Role.RESOLVER, Role.INCIDENT_MANAGER, Role.PROBLEM_MANAGER,
           Role.CHANGE_MANAGER, Role.ACCESS_MANAGER, Role.ADMINISTRATOR}  # fmt: skip
READERS = WORKERS | {Role.SERVICE_OWNER, Role.AUDITOR}


def expected(role: str, view: str) -> int:
    if view in ("report", "my_tickets"):
        return 200
    if view == "own_portal_incident":
        return 200
    if view == "others_portal_incident":
        return 404
    if view == "others_attachment":  # staff may see every incident, so its files
        return 200 if role in READERS else 404
    if view in ("queue", "record"):
        return 200 if role in READERS else 403
    if view in ("new", "edit_fields", "comment", "bulk"):
        return 200 if role in WORKERS else 403
    raise AssertionError(view)


VIEWS = [
    "report", "my_tickets", "own_portal_incident", "others_portal_incident", "others_attachment",
    "queue", "record", "new", "edit_fields", "comment", "bulk",
]  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(
    role: str,
    make_user: Callable[..., User],
    make_incident: Callable[..., Incident],
    agent: User,
) -> None:
    # given a user of the role with an incident of their own, and someone else's incident
    user = make_user(f"user-{role}", role)
    own = make_incident("Mine", caller=user)
    other = make_incident("Theirs")
    file = actions.add_attachment(other, upload=upload("a.txt", b"a"), acting_user=agent)
    client = logged_in(user)
    requests: dict[str, Callable[[], Any]] = {
        "report": lambda: client.get("/portal/report/"),
        "my_tickets": lambda: client.get("/portal/incidents/"),
        "own_portal_incident": lambda: client.get(f"/portal/incidents/{own.number}/"),
        "others_portal_incident": lambda: client.get(f"/portal/incidents/{other.number}/"),
        "others_attachment": lambda: client.get(
            f"/portal/incidents/{other.number}/attachments/{file.pk}/"
        ),
        "queue": lambda: client.get("/desk/"),
        "record": lambda: client.get(f"/desk/incidents/{other.number}/"),
        "new": lambda: client.get("/desk/incidents/new/"),
        "edit_fields": lambda: client.get(f"/desk/incidents/{other.number}/fields/"),
        "comment": lambda: htmx(
            client,
            f"/desk/incidents/{other.number}/activity/",
            {"kind": "comment", "body": "matrix"},
        ),
        "bulk": lambda: client.post(
            "/desk/bulk/",
            {"action": "comment", "text": "bulk", "numbers": [other.number], "next": "/desk/"},
            follow=True,
        ),
    }

    # when
    statuses = {view: requests[view]().status_code for view in VIEWS}

    # then
    assert statuses == {view: expected(role, view) for view in VIEWS}
    written = other.activities.filter(body__in=["matrix", "bulk"]).count()
    assert written == (2 if role in WORKERS else 0)


def test_the_demo_has_categories_with_groups_and_incidents_in_every_state(db: None) -> None:
    # given
    from watchkeeper.core.demo import load_demo

    # when
    load_demo("demo password for tests")

    # then
    hardware = Category.objects.get(name="Hardware", parent=None)
    assert hardware.default_group is not None and hardware.default_group.name == "Service Desk"
    assert Category.objects.filter(parent=hardware).count() == 3
    states = set(Incident.objects.values_list("state", flat=True))
    assert states == set(IncidentState.values)
    assert Incident.objects.filter(is_major=True).exists()
    desk = logged_in(User.objects.get(username="adam")).get("/desk/?queue=open")
    assert desk.status_code == 200 and "VPN disconnects" in text_of(desk)
