"""The backups pages: the overview, an item's backups section, recording a restore test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb import backups
from watchkeeper.cmdb.choices import CiClass, RelationType
from watchkeeper.cmdb.models import RestoreTest
from watchkeeper.cmdb.views.backups import backups_context
from watchkeeper.core.history import history_of
from watchkeeper.incidents.models import Incident

OVERVIEW = "/cmdb/backups/"


@pytest.fixture
def world(make_ci: Any, relate: Any, make_group: Any) -> dict[str, Any]:
    service = make_ci("Payroll", CiClass.BUSINESS_SERVICE)
    db = make_ci(
        "payroll-db", CiClass.DATABASE, restore_test_days=30, support_group=make_group("DBA")
    )
    job = make_ci("payroll-nightly", CiClass.BACKUP_JOB)
    relate(service, RelationType.DEPENDS_ON, db)
    relate(db, RelationType.BACKED_UP_BY, job)
    finished = timezone.now() - dt.timedelta(hours=1)
    backups.report_backup_run(job, result="failure", finished_at=finished, acting_user=None)
    return {"service": service, "db": db, "job": job}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(number: str) -> str:
    """The item page (another part of the CMDB), or the overview while it does not exist."""
    try:
        return reverse("cmdb:detail", args=[number])
    except NoReverseMatch:
        return OVERVIEW


def test_the_overview_shows_jobs_overdue_tests_and_service_rates(world, make_user):
    # when a resolver opens the overview
    response = client_for(make_user("rob", Role.RESOLVER)).get(OVERVIEW)

    # then it lists the job with its failure, the never-tested database, the service's rate
    assert response.status_code == 200
    page = response.content.decode()
    assert "payroll-nightly" in page and "Failed" in page and "At 02:00 every day (UTC)" in page
    assert "never tested" in page and "payroll-db" in page
    assert "Payroll" in page and "0 % <span" in page  # 0 of 1 runs succeeded
    incident = Incident.objects.get()
    assert f'<a href="/desk/incidents/{incident.number}/">' in page  # its incident, linked


def test_the_overview_needs_the_cmdb(world, make_user):
    assert client_for(make_user("rita", Role.REQUESTER)).get(OVERVIEW).status_code == 403
    response = Client().get(OVERVIEW)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_section_of_a_job_shows_schedule_protected_items_and_runs(world, make_user):
    # when the job's section is rendered for an agent
    agent = make_user("alex", Role.AGENT)
    context = backups_context(world["job"], agent)
    html = render_to_string("cmdb/_backups_section.html", {"ci": world["job"], **context})

    # then it shows its schedule, what it protects and its failed run
    assert context["backup_is_job"] and context["backup_relevant"]
    assert context["backup_summary"].protects == [world["db"]]
    assert [run.result for run in context["backup_runs"]] == ["failure"]
    assert "At 02:00 every day (UTC)" in html and "payroll-db" in html and "Failed" in html
    assert context["restore_form"] is None and "Record a restore test" not in html


def test_the_section_of_a_protected_item_warns_and_offers_the_form(world, make_user):
    # when the database's section is rendered for a resolver, and for an agent
    resolver, agent = make_user("rob", Role.RESOLVER), make_user("alex", Role.AGENT)
    context = backups_context(world["db"], resolver)
    html = render_to_string("cmdb/_backups_section.html", {"ci": world["db"], **context})
    agent_html = render_to_string(
        "cmdb/_backups_section.html", {"ci": world["db"], **backups_context(world["db"], agent)}
    )

    # then it warns that no restore test was made, lists the job, and offers the form
    assert context["restore_status"].overdue
    assert [summary.job for summary in context["backup_jobs"]] == [world["job"]]
    assert "No successful restore test has been recorded" in html
    assert 'action="/cmdb/' in html and "Record restore test" in html
    assert '<label for="id_restore-tested_at">' in html
    assert "Record restore test" not in agent_html


def test_the_section_says_nothing_for_items_that_are_not_backed_up(make_ci, make_user):
    location = make_ci("Berlin", CiClass.LOCATION)
    context = backups_context(location, make_user("rob", Role.RESOLVER))
    assert not context["backup_relevant"]
    assert render_to_string("cmdb/_backups_section.html", {"ci": location, **context}).strip() == ""


def test_a_resolver_records_a_restore_test_from_the_item_page(world, make_user):
    # when a resolver posts the form
    resolver = make_user("rob", Role.RESOLVER)
    url = reverse("cmdb:restore-test-add", args=[world["db"].number])
    tested = timezone.localtime() - dt.timedelta(hours=2)
    form = {
        "restore-tested_at": tested.strftime("%Y-%m-%dT%H:%M"),
        "restore-result": "passed",
        "restore-minutes_to_restore": "25",
        "restore-backup_job": str(world["job"].pk),
        "restore-notes": "restored to a scratch host",
    }
    response = client_for(resolver).post(url, form)

    # then the test is stored, in the history, and the page is the item's again
    assert response.status_code == 302
    assert response["Location"] == detail_url(world["db"].number)
    test = RestoreTest.objects.get()
    assert (test.result, test.time_to_restore_seconds, test.backup_job) == (
        "passed",
        1500,
        world["job"],
    )
    assert test.recorded_by == resolver
    assert history_of(world["db"]).latest("sequence").action == "restore test recorded"
    assert not backups.restore_test_status(world["db"], timezone.now()).overdue


def test_a_bad_restore_test_shows_the_form_with_its_errors(world, make_user):
    url = reverse("cmdb:restore-test-add", args=[world["db"].number])
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(make_user("rob", Role.RESOLVER)).post(
        url, {"restore-tested_at": future, "restore-result": "passed"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is in the future" in page and 'name="restore-tested_at"' in page
    assert not RestoreTest.objects.exists()


def test_recording_needs_the_permission_a_post_and_a_known_item(world, make_user):
    url = reverse("cmdb:restore-test-add", args=[world["db"].number])
    body = {"restore-tested_at": "2026-01-01T10:00", "restore-result": "passed"}
    assert client_for(make_user("alex", Role.AGENT)).post(url, body).status_code == 403
    resolver = client_for(make_user("rob", Role.RESOLVER))
    assert resolver.get(url).status_code == 405
    missing = reverse("cmdb:restore-test-add", args=["CI0009999"])
    assert resolver.post(missing, body).status_code == 404
    assert Client().post(url, body).status_code == 302  # to the login page
    assert not RestoreTest.objects.exists()


def test_the_item_page_includes_the_section(world, make_user):
    try:
        url = reverse("cmdb:detail", args=[world["db"].number])
    except NoReverseMatch:
        pytest.skip("the item pages are not installed yet")
    page = client_for(make_user("rob", Role.RESOLVER)).get(url).content.decode()
    assert "Backups and restore tests" in page and "payroll-nightly" in page
