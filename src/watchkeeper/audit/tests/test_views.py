"""The audit pages: who may open them, the findings list and its filters, a finding and the
respond forms, the checks with "Run now", the audit trail browser and the PDF report."""

from __future__ import annotations

import datetime as dt
import html
import re
import zlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from watchkeeper.accounts.choices import Role
from watchkeeper.audit import runner
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.core.history import history_of
from watchkeeper.incidents.models import Incident
from watchkeeper.requests.tests.helpers import client_for

REASSIGNED = "incidents.reassigned_too_often"
NO_NOTES = "incidents.resolved_without_notes"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def w(make_user, make_group, make_incident):
    agent = make_user("alex", Role.AGENT)
    boss = make_user("gina", Role.RESOLVER)
    desk = make_group("Desk", members=(agent,), manager=boss)
    people = {
        "agent": agent, "boss": boss, "ada": make_user("ada", Role.AUDITOR),
        "rita": make_user("rita"), "morgan": make_user("morgan", Role.INCIDENT_MANAGER),
    }  # fmt: skip
    bounced = make_incident("Bounced", acting_user=agent, assignment_group=desk)
    loose = make_incident("Loose", acting_user=agent)
    Incident.objects.filter(pk__in=[bounced.pk, loose.pk]).update(reassignment_count=6)
    runner.run_check(REASSIGNED)
    found = {f.object_id: f for f in Finding.objects.all()}
    return {**people, "bounced": bounced, "loose": loose,
            "mine": found[str(bounced.pk)], "theirs": found[str(loose.pk)]}  # fmt: skip


def test_who_may_open_the_pages(w):
    number = w["mine"].number
    pages = ["/audit/findings/", f"/audit/findings/{number}/", "/audit/checks/",
             "/audit/trail/", "/audit/report.pdf"]  # fmt: skip
    for page in pages:
        assert client_for(w["rita"]).get(page).status_code == 403, page
        assert client_for(w["ada"]).get(page).status_code == 200, page
        assert Client().get(page)["Location"].startswith("/login/"), page
    assert client_for(w["ada"]).get("/audit/findings/FND9999999/").status_code == 404
    # a manager reads the findings but not the trail
    assert client_for(w["morgan"]).get("/audit/findings/").status_code == 200
    assert client_for(w["morgan"]).get("/audit/trail/").status_code == 403


def test_an_owner_without_the_permission_sees_only_their_findings(w):
    owner = client_for(w["boss"])  # a resolver: owns one finding, may not read others
    page = text(owner.get("/audit/findings/"))
    assert w["mine"].number in page and w["theirs"].number not in page
    assert "You see the findings you own." in page
    assert owner.get(f"/audit/findings/{w['mine'].number}/").status_code == 200
    assert owner.get(f"/audit/findings/{w['theirs'].number}/").status_code == 404  # not theirs
    assert owner.get("/audit/checks/").status_code == 403


def test_the_list_filters_and_counts(w, make_incident):
    # given one more finding of another check, resolved-without-notes, owned by nobody
    incident = make_incident("No notes")
    Incident.objects.filter(pk=incident.pk).update(state="resolved")
    runner.run_check(NO_NOTES)
    other = Finding.objects.get(check_key=NO_NOTES)
    Finding.objects.filter(pk=other.pk).update(owner=None)
    ada = client_for(w["ada"])

    def numbers(query: str) -> set[str]:
        return set(re.findall(r'data-number="(FND\d+)"', ada.get(f"/audit/findings/?{query}")
                              .content.decode()))  # fmt: skip

    everything = {w["mine"].number, w["theirs"].number, other.number}
    assert numbers("") == everything
    assert numbers(f"check={NO_NOTES}") == {other.number}
    assert numbers("owner=gina") == {w["mine"].number}
    assert numbers("owner=morgan") == {w["theirs"].number}  # an incident manager
    assert numbers("owner=none") == {other.number}
    Finding.objects.filter(pk=w["theirs"].pk).update(due_on=timezone.localdate() - dt.timedelta(1))
    assert numbers("overdue=on") == {w["theirs"].number}
    Finding.objects.filter(pk=other.pk).update(state="accepted")
    assert numbers("state=accepted") == {other.number}
    assert numbers("state=all") == everything
    assert numbers("") == everything - {other.number}
    page = text(ada.get("/audit/findings/"))
    assert "Incidents reassigned too often</a>: <strong>2</strong>" in page
    refused = ada.get("/audit/findings/?owner=nobody-at-all")
    assert refused.status_code == 400 and "There is no user 'nobody-at-all'." in text(refused)
    assert ada.get("/audit/findings/?state=bogus").status_code == 400


def test_a_finding_shows_its_record_history_and_the_respond_forms_to_its_owner(w):
    finding = w["mine"]
    owner_page = text(client_for(w["boss"]).get(f"/audit/findings/{finding.number}/"))
    assert f'href="/desk/incidents/{w["bounced"].number}/"' in owner_page
    assert finding.summary in owner_page
    assert "Mark remediated" in owner_page and "Accept the risk" in owner_page
    assert "Created" in owner_page  # the history
    auditor_page = text(client_for(w["ada"]).get(f"/audit/findings/{finding.number}/"))
    assert "Mark remediated" not in auditor_page and "Accept the risk" not in auditor_page
    assert "its history" in auditor_page  # the auditor may browse the trail


def test_responding_from_the_page(w):
    finding, path = w["mine"], f"/audit/findings/{w['mine'].number}/respond/"
    owner = client_for(w["boss"])
    # a missing reason is shown beside its field and nothing changes
    refused = owner.post(path, {"action": "accept", "reason": "", "version": 1})
    assert refused.status_code == 400 and "This field is required." in text(refused)
    # the owner marks it remediated
    done = owner.post(path, {"action": "remediate", "note": "Team briefed", "version": 1})
    assert done.status_code == 302
    finding.refresh_from_db()
    assert (finding.state, finding.response) == ("remediated", "Team briefed")
    # a stale version is refused with the message on the page
    stale = owner.post(path, {"action": "accept", "reason": "Too late", "version": 1})
    assert stale.status_code == 409 and "changed by someone else" in text(stale)
    # the auditor may not respond
    auditor = client_for(w["ada"]).post(path, {"action": "accept", "reason": "Mine now"})
    assert auditor.status_code == 403
    finding.refresh_from_db()
    assert finding.state == "remediated" and history_of(finding).count() == 2


def test_the_checks_page_and_run_now(w):
    ada = client_for(w["ada"])
    page = text(ada.get("/audit/checks/"))
    assert "Incidents reassigned too often" in page and "Run now" in page
    assert "2 found, 2 new, 0 resolved" in page
    # an auditor runs one check now, then all
    Incident.objects.filter(pk=w["loose"].pk).update(reassignment_count=0)
    response = ada.post(f"/audit/checks/{REASSIGNED}/run/", follow=True)
    assert "Incidents reassigned too often: 1 found, 0 new, 1 resolved." in text(response)
    assert AuditRun.objects.filter(check_key=REASSIGNED).first().started_by == w["ada"]
    assert ada.post("/audit/checks/run/").status_code == 302
    assert AuditRun.objects.count() == 2 + 12
    # a manager sees the page but may not run; nothing runs on a GET
    manager = client_for(w["morgan"])
    assert "Run now" not in text(manager.get("/audit/checks/"))
    assert manager.post(f"/audit/checks/{REASSIGNED}/run/").status_code == 403
    assert ada.get(f"/audit/checks/{REASSIGNED}/run/").status_code == 405


def test_the_trail_browser_filters_the_history(w):
    ada = client_for(w["ada"])
    bounced = w["bounced"]

    def rows(query: str) -> str:
        response = ada.get(f"/audit/trail/?{query}")
        assert response.status_code == 200, text(response)
        return text(response)

    # by record number: its entries only, newest first, with their changes
    page = rows(f"record={bounced.number}")
    assert page.count('data-testid="trail-row"') == history_of(bounced).count()
    assert "Short description: <ins>Bounced</ins>" in page
    # by record type: the findings' entries only
    finding_type = ContentType.objects.get_for_model(Finding).pk
    by_type = rows(f"type={finding_type}")
    assert by_type.count('data-testid="trail-row"') == 2
    assert f"Finding {w['mine'].number}" in by_type
    # by actor, action and channel
    assert "Loose" in rows("actor=alex&action=created")
    assert rows("actor=alex&action=nothing-like-this").count('data-testid="trail-row"') == 0
    by_the_job = rows("actor=system&channel=job")
    assert by_the_job.count('data-testid="trail-row"') == 2  # the two findings, by the job
    # by date range
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "No history entries match." in rows(f"since={tomorrow}")
    refused = ada.get(f"/audit/trail/?since={tomorrow}&until=2000-01-01")
    assert refused.status_code == 400
    assert "The end of the period is before its start." in text(refused)
    assert ada.get("/audit/trail/?until=9999-12-31").status_code == 400
    assert ada.get("/audit/trail/?type=abc").status_code == 400
    unknown = ada.get("/audit/trail/?record=INC9999999")
    assert unknown.status_code == 400 and "There is no record INC9999999." in text(unknown)


def test_the_trail_verifies_a_records_chain(w):
    ada = client_for(w["ada"])
    bounced = w["bounced"]
    intact = text(ada.get(f"/audit/trail/?record={bounced.number}&verify=1"))
    assert history_of(bounced).count() == 1
    assert "Intact: 1 entry verified." in intact
    history_of(bounced).filter(sequence=1).update(actor_label="mallory")
    altered = text(ada.get(f"/audit/trail/?record={bounced.number}&verify=1"))
    assert "<strong>Altered:</strong> entry 1 was altered after it was written." in altered


def pdf_text(content: bytes) -> str:
    """The text of the PDF's compressed content streams."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            found.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(found).replace("\\(", "(").replace("\\)", ")")


def test_the_report_downloads_as_a_pdf_with_the_findings(w):
    Finding.objects.filter(pk=w["theirs"].pk).update(due_on=timezone.localdate() - dt.timedelta(1))
    response = client_for(w["ada"]).get("/audit/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment;" in response["Content-Disposition"]
    content = pdf_text(response.content)
    assert w["mine"].number in content and w["theirs"].number in content
    assert "Overdue findings (1)" in content and "Open findings (2)" in content
    assert "Not verified yet" in content
    bad = client_for(w["ada"]).get("/audit/report.pdf?since=2026-02-01&until=2026-01-01")
    assert bad.status_code == 400
    assert "The end of the period is before its start." in bad.content.decode()
    far = client_for(w["ada"]).get("/audit/report.pdf?until=9999-12-31")
    assert far.status_code == 400 and "between 1900 and 9000" in far.content.decode()
