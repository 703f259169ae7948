"""The incidents API's permission matrix: every role against every operation.

The expected matrix is written out here, from ``incidents/permissions.py``'s GRANTS: requesters
report, read what is theirs or what they watch, and talk on it; auditors and service owners read
everything and change nothing; the six working roles work incidents; only incident managers and
administrators override priorities and declare major incidents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.incidents import actions
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import GRANTS, IncidentPermission

API = "/api/v1"

READ = {"list", "create", "get", "activity", "download"}
CONVERSE = {"comment", "attach"}
WORK = {
    "update", "assign", "start", "hold", "resolve", "reopen", "close", "cancel", "work_note",
    "watch_list", "tags", "major_update", "review", "relate", "unrelate",
}  # fmt: skip
MANAGE = {"priority", "major"}
EVERYTHING = READ | CONVERSE | WORK | MANAGE
WORKER = READ | CONVERSE | WORK

EXPECTED: dict[str, set[str]] = {
    Role.REQUESTER: READ | CONVERSE,
    Role.AGENT: WORKER,
    Role.RESOLVER: WORKER,
    Role.INCIDENT_MANAGER: EVERYTHING,
    Role.PROBLEM_MANAGER: WORKER,
    Role.CHANGE_MANAGER: WORKER,
    Role.ACCESS_MANAGER: WORKER,
    Role.SERVICE_OWNER: READ,
    Role.AUDITOR: READ,
    Role.ADMINISTRATOR: EVERYTHING,
}


def test_the_expected_matrix_follows_the_grants():
    # every role is in the matrix
    assert set(EXPECTED) == set(Role)
    for role, allowed in EXPECTED.items():
        granted = GRANTS.get(role, set())
        admin = role == Role.ADMINISTRATOR
        # then working, overriding and declaring follow the declared grants
        assert (IncidentPermission.WORK in granted or admin) == (allowed >= WORK), role
        assert (IncidentPermission.OVERRIDE_PRIORITY in granted or admin) == (
            "priority" in allowed
        ), role
        assert (IncidentPermission.DECLARE_MAJOR in granted or admin) == ("major" in allowed)
        assert (IncidentPermission.REPORT in granted or admin) == (allowed >= READ), role


def _resolved(incident: Incident, admin: Any) -> None:
    actions.resolve(incident, code="solved_permanently", notes="Done", acting_user=admin)


def _major(incident: Incident, admin: Any) -> None:
    actions.declare_major(incident, reason="Big", manager=admin, acting_user=admin)


def _attached(incident: Incident, admin: Any) -> None:
    upload = SimpleUploadedFile("a.txt", b"hello")
    actions.add_attachment(incident, upload=upload, acting_user=admin)


def _related(incident: Incident, admin: Any) -> None:
    other = Incident.objects.exclude(pk=incident.pk).order_by("pk").first()
    actions.relate(incident, other, acting_user=admin)


#: name: (method, path after the incident — None for /incidents —, body, preparation)
OPERATIONS: dict[str, tuple[str, str | None, Any, Callable[..., None] | None]] = {
    "list": ("get", None, None, None),
    "create": ("post", None, {"short_description": "Mine"}, None),
    "get": ("get", "", None, None),
    "activity": ("get", "/activity", None, None),
    "download": ("get", "/attachments/{attachment}", None, _attached),
    "update": ("patch", "", {"version": 1, "urgency": 2}, None),
    "assign": ("post", "/assign", {"group": "{group}"}, None),
    "start": ("post", "/start", {}, None),
    "hold": ("post", "/hold", {"reason": "awaiting_vendor"}, None),
    "resolve": ("post", "/resolve", {"code": "duplicate", "notes": "Same as another"}, None),
    "reopen": ("post", "/reopen", {"reason": "Not fixed"}, _resolved),
    "close": ("post", "/close", {}, _resolved),
    "cancel": ("post", "/cancel", {"reason": "Not needed"}, None),
    "comment": ("post", "/comments", {"body": "Hello"}, None),
    "attach": ("post", "/attachments", "upload", None),
    "work_note": ("post", "/work-notes", {"body": "Internal"}, None),
    "watch_list": ("put", "/watch-list", {"usernames": ["{actor}"]}, None),
    "tags": ("put", "/tags", {"names": ["vpn"]}, None),
    "priority": ("post", "/priority", {"priority": 1, "reason": "VIP"}, None),
    "major": ("post", "/major", {"reason": "Everyone", "manager": "admin"}, None),
    "major_update": ("post", "/major/updates", {"body": "Vendor called"}, _major),
    "review": ("put", "/review", {"summary": "So far"}, _major),
    "relate": ("post", "/related/{other}", None, None),
    "unrelate": ("delete", "/related/{other}", None, _related),
}


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, str) and value in names:
        return names[value]
    return value


def _call(client: Client, operation: str, incident: Incident, names: dict[str, Any]):
    method, suffix, body, _ = OPERATIONS[operation]
    base = f"{API}/incidents"
    path = base if suffix is None else f"{base}/{incident.number}{suffix}"
    path = path.replace("{attachment}", str(names["{attachment}"]))
    path = path.replace("{other}", names["{other}"])
    if body == "upload":
        return client.post(path, {"file": SimpleUploadedFile("b.txt", b"data")})
    if body is None:
        return getattr(client, method)(path)
    data = json.dumps(_fill(body, names))
    return getattr(client, method)(path, data=data, content_type="application/json")


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(
    role, make_user, make_group, admin_user, api_client, make_incident, settings, tmp_path
):
    # given a user of the role and, per call, an incident of someone else's (a requester
    # watches it, or they could not see it; staff see every incident without watching)
    settings.MEDIA_ROOT = tmp_path
    actor = make_user(f"actor_{role}", role)
    caller = make_user("carl")
    group = make_group("Desk")
    client = api_client(actor)
    watching = [actor] if role == Role.REQUESTER else []
    outcomes: dict[str, int] = {}
    for operation, (_, _, _, prepare) in OPERATIONS.items():
        incident = make_incident(
            f"For {operation}", caller=caller, acting_user=admin_user, watch_list=watching
        )
        if prepare is not None:
            prepare(incident, admin_user)
        attachment = incident.attachments.values_list("pk", flat=True).first()
        other = Incident.objects.exclude(pk=incident.pk).order_by("pk").first()
        names = {
            "{group}": group.pk,
            "{actor}": actor.username,
            "{attachment}": attachment,
            "{other}": other.number if other else "",
        }

        # when they call the operation
        outcomes[operation] = _call(client, operation, incident, names).status_code

    # then exactly the expected operations are allowed, and the rest forbidden
    allowed = {op for op, status in outcomes.items() if 200 <= status < 300}
    denied = {op for op, status in outcomes.items() if status == 403}
    unexpected = {op: s for op, s in outcomes.items() if op not in allowed | denied}
    assert not unexpected, unexpected
    assert allowed == EXPECTED[role], {
        "should be allowed": sorted(EXPECTED[role] - allowed),
        "should be denied": sorted(allowed - EXPECTED[role]),
    }
    assert denied == set(OPERATIONS) - EXPECTED[role]
