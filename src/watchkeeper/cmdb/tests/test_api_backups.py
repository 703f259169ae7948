"""The backups API: reporting runs (201, then 200 when re-sent), reading jobs, runs, restore tests
and a service's rate; bad input is a 4xx naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.choices import CiClass, RelationType
from watchkeeper.cmdb.models import BackupRun, RestoreTest
from watchkeeper.incidents.models import Incident

BASE = "/api/v1/cmdb"


@pytest.fixture
def world(make_ci: Any, relate: Any, make_group: Any) -> dict[str, Any]:
    """A service resting on a database that a nightly job backs up."""
    service = make_ci("Billing", CiClass.BUSINESS_SERVICE)
    db = make_ci(
        "billing-db", CiClass.DATABASE, restore_test_days=30, support_group=make_group("DBA")
    )
    job = make_ci(
        "billing-nightly",
        CiClass.BACKUP_JOB,
        attributes={"schedule": "30 1 * * *", "retention_days": 14, "destination": "s3://b"},
    )
    relate(service, RelationType.DEPENDS_ON, db)
    relate(db, RelationType.BACKED_UP_BY, job)
    return {"service": service, "db": db, "job": job}


@pytest.fixture
def resolver_client(make_user: Any, api_client: Any) -> Any:
    return api_client(make_user("rob", Role.RESOLVER))


def iso(delta: dt.timedelta = dt.timedelta(0)) -> str:
    return (timezone.now() - dt.timedelta(minutes=1) + delta).isoformat()


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", body, content_type="application/json")


def test_a_job_reports_a_failure_then_resends_it(world, resolver_client):
    # when a job reports a failure with its run id, twice
    body = {"result": "failure", "finished_at": iso(), "size_bytes": 0, "external_id": "r-1"}
    first = post(resolver_client, f"/backup-jobs/{world['job'].number}/runs", body)
    second = post(resolver_client, f"/backup-jobs/{world['job'].pk}/runs", body)

    # then the first is created with its incident, the second returns the same run
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    data = first.json()
    incident = Incident.objects.get()
    assert (data["job"], data["result"], data["incident"]) == (
        "CI0001003",
        "failure",
        incident.number,
    )
    assert data["reported_by"] == "rob" and data["external_id"] == "r-1"
    assert BackupRun.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"result": "success", "finished_at": "tomorrow"}, 422, "finished_at"),
        ({"result": "missed", "finished_at": None}, 422, "result"),
        ({"result": "success", "finished_at": None, "size_bytes": -1}, 422, "size_bytes"),
        ({"result": "success", "finished_at": None, "size_bytes": 2**64}, 422, "size_bytes"),
        ({"result": "success", "finished_at": None, "duration_seconds": -3}, 422, "duration"),
        ({"result": "success", "finished_at": None, "surprise": 1}, 422, "surprise"),
        ({"result": "success", "finished_at": None, "message": "a\x00b"}, 422, "message"),
        ({"result": "success", "finished_at": "future"}, 400, "finished_at"),
        ({"result": "success", "finished_at": None, "started_at": "future"}, 400, "started_at"),
        ({"finished_at": None}, 422, "result"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(world, resolver_client, body, status, named):
    # given a body with one mistake
    replacements = {None: iso(), "future": iso(dt.timedelta(hours=2))}
    body = {key: replacements.get(value, value) for key, value in body.items()}

    # when it is reported
    response = post(resolver_client, f"/backup-jobs/{world['job'].number}/runs", body)

    # then it is refused with the field named, and nothing is stored
    assert response.status_code == status, response.content
    assert named in response.json()["detail"]
    assert not BackupRun.objects.exists()


def test_unknown_jobs_and_items_that_are_not_jobs(world, resolver_client):
    body = {"result": "success", "finished_at": iso()}
    for ref, status in [("CI0009999", 404), ("banana", 404), ("99999999999999999999", 404)]:
        assert post(resolver_client, f"/backup-jobs/{ref}/runs", body).status_code == status
        assert resolver_client.get(f"{BASE}/backup-jobs/{ref}/runs").status_code == status
    refused = post(resolver_client, f"/backup-jobs/{world['db'].number}/runs", body)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "job: CI0001002 billing-db is a database, not a backup job."
    assert resolver_client.get(f"{BASE}/backup-jobs/{world['db'].number}/runs").status_code == 400


def test_an_agent_cannot_report_but_reads_and_a_requester_reads_nothing(
    world, make_user, api_client
):
    agent = api_client(make_user("alex", Role.AGENT))
    requester = api_client(make_user("rita", Role.REQUESTER))
    body = {"result": "success", "finished_at": iso()}
    assert post(agent, f"/backup-jobs/{world['job'].number}/runs", body).status_code == 403
    assert agent.get(f"{BASE}/backup-jobs").status_code == 200
    assert requester.get(f"{BASE}/backup-jobs").status_code == 403
    tests_path = f"{BASE}/cis/{world['db'].number}/restore-tests"
    assert requester.get(tests_path).status_code == 403
    read_only = api_client(make_user("ron", Role.RESOLVER), scope="read")
    assert post(read_only, f"/backup-jobs/{world['job'].number}/runs", body).status_code == 403
    assert not BackupRun.objects.exists()


def test_runs_are_listed_newest_first_in_pages(world, resolver_client):
    # given three runs
    for hours in (3, 1, 2):
        body = {"result": "success", "finished_at": iso(-dt.timedelta(hours=hours))}
        post(resolver_client, f"/backup-jobs/{world['job'].number}/runs", body)

    # when the first page of two is read
    response = resolver_client.get(f"{BASE}/backup-jobs/{world['job'].number}/runs?limit=2")

    # then it holds the two newest, and the count of all
    data = response.json()
    assert data["count"] == 3 and len(data["items"]) == 2
    assert data["items"][0]["finished_at"] > data["items"][1]["finished_at"]


def test_the_job_list_says_schedule_last_run_next_due_rate_and_protected_items(
    world, resolver_client
):
    # given one success and one failure
    for result, hours in (("success", 30), ("failure", 2)):
        body = {"result": result, "finished_at": iso(-dt.timedelta(hours=hours))}
        post(resolver_client, f"/backup-jobs/{world['job'].number}/runs", body)

    # when the jobs are listed
    data = resolver_client.get(f"{BASE}/backup-jobs").json()

    # then the job says all of it
    assert data["count"] == 1
    [job] = data["items"]
    assert job["schedule"] == "30 1 * * *"
    assert job["schedule_description"] == "At 01:30 every day (UTC)"
    assert (job["grace_minutes"], job["retention_days"], job["destination"]) == (60, 14, "s3://b")
    assert job["last_run"]["result"] == "failure"
    assert job["next_due"].endswith(("01:30:00Z", "01:30:00+00:00"))
    rate = job["success_rate_30_days"]
    assert (rate["successes"], rate["runs"], rate["rate"]) == (1, 2, 0.5)
    assert job["protects"] == [
        {"number": "CI0001002", "name": "billing-db", "ci_class": "database"}
    ]


def test_restore_tests_are_recorded_and_read_with_the_status(world, resolver_client):
    # given an item with a 30-day policy, never tested: overdue
    path = f"/cis/{world['db'].number}/restore-tests"
    before = resolver_client.get(f"{BASE}{path}").json()
    assert before["status"]["overdue"] and before["count"] == 0

    # when a passed test is recorded
    body = {
        "tested_at": iso(),
        "result": "passed",
        "time_to_restore_seconds": 1200,
        "backup_job": world["job"].number,
    }
    created = post(resolver_client, path, body)

    # then it is stored and the item is no longer overdue
    assert created.status_code == 201, created.content
    assert created.json()["backup_job"] == world["job"].number
    after = resolver_client.get(f"{BASE}{path}").json()
    assert not after["status"]["overdue"] and after["status"]["policy_days"] == 30
    assert after["status"]["due_at"] is not None and after["count"] == 1
    assert after["items"][0]["recorded_by"] == "rob"


@pytest.mark.parametrize(
    ("changes", "status", "named"),
    [
        ({"result": "ok"}, 422, "result"),
        ({"time_to_restore_seconds": -1}, 422, "time_to_restore_seconds"),
        ({"tested_at": "future"}, 400, "tested_at"),
        ({"backup_job": "CI0009999"}, 400, "backup_job"),
        ({"backup_job": "CI0001001"}, 400, "backup_job"),  # a service, not a job
    ],
)
def test_bad_restore_tests_are_refused(world, resolver_client, changes, status, named):
    body = {"tested_at": iso(), "result": "passed", **changes}
    if body["tested_at"] == "future":
        body["tested_at"] = iso(dt.timedelta(hours=3))
    response = post(resolver_client, f"/cis/{world['db'].number}/restore-tests", body)
    assert response.status_code == status, response.content
    assert named in response.json()["detail"]
    assert not RestoreTest.objects.exists()


def test_a_services_backup_rate(world, resolver_client):
    # given two successes and a failure of the job behind the service
    for result, hours in (("success", 50), ("success", 26), ("failure", 2)):
        body = {"result": result, "finished_at": iso(-dt.timedelta(hours=hours))}
        post(resolver_client, f"/backup-jobs/{world['job'].number}/runs", body)

    # when the rate of the service is asked for the last day, and the last 30
    day = resolver_client.get(
        f"{BASE}/services/{world['service'].number}/backup-rate?days=1"
    ).json()
    month = resolver_client.get(f"{BASE}/services/{world['service'].number}/backup-rate").json()

    # then each counts its period
    assert (day["rate"], day["runs"], day["days"]) == (0.0, 1, 1)
    assert month["rate"] == pytest.approx(2 / 3) and month["days"] == 30
    assert month["jobs"][0]["job"]["number"] == world["job"].number


def test_the_rate_of_something_that_is_not_a_service_or_a_bad_period(world, resolver_client):
    not_service = resolver_client.get(f"{BASE}/services/{world['db'].number}/backup-rate")
    assert not_service.status_code == 400 and "not a service" in not_service.json()["detail"]
    for days in ("0", "99999", "x"):
        response = resolver_client.get(
            f"{BASE}/services/{world['service'].number}/backup-rate?days={days}"
        )
        assert response.status_code == 422
    assert resolver_client.get(f"{BASE}/services/CI0009999/backup-rate").status_code == 404
