"""The audit API: findings (list, filters, one, respond), the checks and running one."""

from __future__ import annotations

import json

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import runner
from watchkeeper.audit.checks import all_checks
from watchkeeper.audit.models import Finding
from watchkeeper.incidents.models import Incident

KEY = "incidents.reassigned_too_often"


@pytest.fixture
def w(make_user, make_group, make_incident):
    agent = make_user("alex", Role.AGENT)
    boss = make_user("gina", Role.RESOLVER)
    desk = make_group("Desk", members=(agent,), manager=boss)
    incident = make_incident("Bounced", acting_user=agent, assignment_group=desk)
    Incident.objects.filter(pk=incident.pk).update(reassignment_count=8)
    runner.run_check(KEY)
    return {"boss": boss, "ada": make_user("ada", Role.AUDITOR), "rita": make_user("rita"),
            "incident": incident, "finding": Finding.objects.get()}  # fmt: skip


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_findings_are_listed_and_read(w, api_client):
    ada, finding = api_client(w["ada"]), w["finding"]
    listed = ada.get("/api/v1/audit/findings").json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item == {
        "number": finding.number, "check": KEY, "state": "open",
        "record_type": "incidents.incident", "record_id": str(w["incident"].pk),
        "record": w["incident"].number, "summary": finding.summary, "owner": "gina",
        "due_on": finding.due_on.isoformat(), "overdue": False,
        "first_found_at": item["first_found_at"], "last_found_at": item["last_found_at"],
        "closed_at": None, "response": "", "version": 1,
    }  # fmt: skip
    assert ada.get(f"/api/v1/audit/findings?check={KEY}&owner=gina").json()["count"] == 1
    assert ada.get("/api/v1/audit/findings?state=resolved").json()["count"] == 0
    assert ada.get("/api/v1/audit/findings?overdue=true").json()["count"] == 0
    bad = ada.get("/api/v1/audit/findings?check=nope")
    assert bad.status_code == 400 and bad.json()["detail"] == "check: There is no check 'nope'."
    one = ada.get(f"/api/v1/audit/findings/{finding.number}")
    assert one.status_code == 200 and one.json()["number"] == finding.number
    assert ada.get("/api/v1/audit/findings/FND0000001").status_code == 404


def test_a_requester_gets_403(w, api_client):
    rita = api_client(w["rita"])
    assert rita.get("/api/v1/audit/findings").status_code == 403
    assert rita.get(f"/api/v1/audit/findings/{w['finding'].number}").status_code == 403
    assert rita.get("/api/v1/audit/checks").status_code == 403
    assert post(rita, f"/api/v1/audit/checks/{KEY}/run", {}).status_code == 403


def test_responding_over_the_api(w, api_client):
    path = f"/api/v1/audit/findings/{w['finding'].number}/respond"
    owner = api_client(w["boss"])
    missing = post(owner, path, {"action": "remediate"})
    assert missing.status_code == 400
    assert missing.json()["detail"] == "note: Say what was done to remediate it."
    assert post(api_client(w["ada"]), path, {"action": "accept", "reason": "x"}).status_code == 403
    done = post(owner, path, {"action": "remediate", "note": "Briefed", "version": 1})
    assert done.status_code == 200 and done.json()["state"] == "remediated"
    stale = post(owner, path, {"action": "accept", "reason": "Late", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    accepted = post(owner, path, {"action": "accept", "reason": "Known", "version": 2})
    assert accepted.json()["state"] == "accepted" and accepted.json()["response"] == "Known"
    assert post(owner, path, {"action": "delete"}).status_code == 422


def test_the_checks_and_running_one(w, api_client):
    ada = api_client(w["ada"])
    checks = ada.get("/api/v1/audit/checks").json()
    assert [c["key"] for c in checks] == [c.key for c in all_checks()]
    mine = next(c for c in checks if c["key"] == KEY)
    assert mine["open_findings"] == 1 and mine["last_run"]["found"] == 1
    assert mine["process"] == "incidents" and mine["manager_role"] == "incident_manager"
    Incident.objects.filter(pk=w["incident"].pk).update(reassignment_count=0)
    run = post(ada, f"/api/v1/audit/checks/{KEY}/run", {})
    assert run.status_code == 200
    assert {k: run.json()[k] for k in ("check", "found", "opened", "closed", "error",
                                       "started_by")} == {
        "check": KEY, "found": 0, "opened": 0, "closed": 1, "error": "", "started_by": "ada",
    }  # fmt: skip
    assert post(ada, "/api/v1/audit/checks/nope/run", {}).status_code == 404


def test_the_operations_are_in_the_openapi_description(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    operations = {op["operationId"] for path in paths.values() for op in path.values()}
    assert {"list_audit_findings", "get_audit_finding", "respond_to_audit_finding",
            "list_audit_checks", "run_audit_check"} <= operations  # fmt: skip
