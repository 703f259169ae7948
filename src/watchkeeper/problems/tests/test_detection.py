"""``detection.find``: recurring incidents become problem candidates, unrelated ones do not;
candidates are refreshed, not duplicated; a dismissed pattern comes back only with new incidents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.incidents.models import Category, Incident
from watchkeeper.problems import candidates, detection
from watchkeeper.problems.choices import CandidateBasis, CandidateState
from watchkeeper.problems.models import ProblemCandidate

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
UNRELATED = [
    "Printer on floor 3 jams",
    "Cannot log in to the HR portal",
    "Laptop battery swollen",
    "Request a second monitor",
    "Teams calls drop audio",
    "Password expired for the VPN token",
]


@pytest.fixture
def opened(make_incident: Callable[..., Incident]) -> Callable[..., Incident]:
    """An incident opened ``days_ago`` before NOW (the analysis reads when it was opened)."""

    def make(text: str, days_ago: float = 1, **fields: Any) -> Incident:
        incident = make_incident(text, **fields)
        at = NOW - dt.timedelta(days=days_ago)
        Incident.objects.filter(pk=incident.pk).update(created_at=at)
        incident.created_at = at
        return incident

    return make


def numbers(candidate: ProblemCandidate) -> set[str]:
    return set(candidate.incidents.values_list("number", flat=True))


def test_unrelated_incidents_make_no_candidate(opened: Callable[..., Incident]) -> None:
    # given six incidents about different things, in different categories, in one week
    for index, text in enumerate(UNRELATED):
        opened(text, days_ago=index + 0.5, category=Category.objects.create(name=f"C{index}"))
    # when
    found = detection.find(NOW)
    # then
    assert found == []
    assert not ProblemCandidate.objects.exists()


def test_incidents_on_one_item_make_a_candidate_with_evidence(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    # given four differently worded incidents on one server within a week, and one elsewhere
    server = make_ci("mail-01")
    texts = ["Mail is slow", "Outlook cannot connect", "Mailbox full error", "Calendar sync fails"]
    on_server = [opened(t, days_ago=6 - i, configuration_item=server) for i, t in enumerate(texts)]
    opened("Mail is slow", days_ago=2, configuration_item=make_ci("web-01"))
    # when
    found = detection.find(NOW)
    # then one candidate, on the server, with the four incidents as evidence
    expected = [(CandidateBasis.CONFIGURATION_ITEM, str(server.pk))]
    assert [(c.basis, c.key) for c in found] == expected
    candidate = found[0]
    assert candidate.state == CandidateState.PROPOSED
    assert candidate.title == "4 incidents on mail-01 within 7 days"
    assert numbers(candidate) == {i.number for i in on_server}
    evidence = candidate.evidence
    assert evidence["count"] == 4
    assert evidence["incidents"] == [i.number for i in on_server]
    assert evidence["window"]["days"] == 7
    assert evidence["first_opened"] == on_server[0].created_at.isoformat()
    assert evidence["last_opened"] == on_server[-1].created_at.isoformat()
    assert candidate.last_seen_at == NOW


def test_below_the_threshold_or_outside_the_window_is_no_candidate(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    # given three incidents on a server this week and two more eight days ago
    server = make_ci("db-01")
    for days in (1, 2, 3, 8, 9):
        opened("Database timeouts", days_ago=days, configuration_item=server)
    # when / then: four are needed within seven days
    assert detection.find(NOW) == []
    # but a 10-day window finds all five
    assert len(detection.find(NOW, window_days=10)) == 1
    assert ProblemCandidate.objects.get().evidence["count"] == 5


def test_threshold_and_window_come_from_the_settings(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem], settings: Any
) -> None:
    # given three incidents on one server
    server = make_ci("app-01")
    for days in (1, 2, 3):
        opened("App hangs", days_ago=days, configuration_item=server)
    assert detection.find(NOW) == []
    # when the threshold is set to 3
    settings.PROBLEM_DETECTION_THRESHOLD = 3
    # then
    assert len(detection.find(NOW)) == 1


def test_service_and_category_groups(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    # given four incidents of one service, in one category and subcategory
    service = make_ci("Payroll", ci_class=CiClass.BUSINESS_SERVICE)
    software = Category.objects.create(name="Software")
    erp = Category.objects.create(name="ERP", parent=software)
    texts = ["Payslips missing", "Cannot approve hours", "Export hangs", "Wrong tax rate"]
    for days, text in enumerate(texts, start=1):
        opened(text, days_ago=days, service=service, category=software, subcategory=erp)
    # when
    found = {c.basis: c for c in detection.find(NOW)}
    # then both are proposed
    assert set(found) == {CandidateBasis.SERVICE, CandidateBasis.CATEGORY}
    assert found[CandidateBasis.SERVICE].title == "4 incidents affecting Payroll within 7 days"
    assert found[CandidateBasis.CATEGORY].key == f"{software.pk}/{erp.pk}"
    assert found[CandidateBasis.CATEGORY].title == "4 incidents in Software / ERP within 7 days"


def test_similar_texts_make_a_text_candidate(opened: Callable[..., Incident]) -> None:
    # given four VPN incidents worded alike across categories, and unrelated ones
    texts = [
        "VPN connection drops every hour",
        "VPN connection drops after login",
        "The VPN connection drops again",
        "vpn connection keeps dropping, drops twice a day",
    ]
    for index, text in enumerate(texts):
        opened(text, days_ago=index + 1, category=Category.objects.create(name=f"V{index}"))
    for index, text in enumerate(UNRELATED):
        opened(text, days_ago=index + 0.5)
    # when
    found = detection.find(NOW)
    # then one text candidate with exactly the VPN incidents and their common words
    assert [c.basis for c in found] == [CandidateBasis.TEXT]
    candidate = found[0]
    assert {i.short_description for i in candidate.incidents.all()} == set(texts)
    assert set(candidate.evidence["common_words"][:3]) == {"vpn", "connection", "drops"}
    assert candidate.key == "connection drops vpn"
    assert candidate.evidence["min_similarity"] == 0.5


def test_text_groups_within_one_category_are_left_to_the_category(
    opened: Callable[..., Incident],
) -> None:
    # given four alike incidents in one category
    network = Category.objects.create(name="Network")
    for days in range(1, 5):
        opened("Wifi drops in building B", days_ago=days, category=network)
    # when
    found = detection.find(NOW)
    # then only the category proposes them (the text group would add nothing)
    assert [c.basis for c in found] == [CandidateBasis.CATEGORY]


def test_a_second_run_updates_the_candidate_instead_of_duplicating_it(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    # given a candidate from a first run
    server = make_ci("file-01")
    for days in (5, 4, 3, 2):
        opened("Share not reachable", days_ago=days, configuration_item=server)
    first = detection.find(NOW - dt.timedelta(hours=1))[0]
    # when a fifth incident arrives and the analysis runs again
    fifth = opened("Share not reachable", days_ago=0.5, configuration_item=server)
    second = detection.find(NOW)
    # then the same candidate holds five incidents and was seen now
    assert [c.pk for c in second] == [first.pk]
    assert ProblemCandidate.objects.count() == 1
    refreshed = ProblemCandidate.objects.get()
    assert fifth.number in numbers(refreshed)
    assert refreshed.evidence["count"] == 5
    assert refreshed.title.startswith("5 incidents")
    assert refreshed.last_seen_at == NOW


def test_a_dismissed_pattern_returns_only_with_new_incidents(
    opened: Callable[..., Incident],
    make_ci: Callable[..., ConfigurationItem],
    problem_manager: User,
) -> None:
    # given a dismissed candidate
    server = make_ci("print-01")
    for days in (5, 4, 3, 2):
        opened("Print queue stuck", days_ago=days, configuration_item=server)
    candidate = detection.find(NOW - dt.timedelta(days=1))[0]
    candidates.dismiss(candidate, acting_user=problem_manager, reason="Planned migration noise")
    ProblemCandidate.objects.filter(pk=candidate.pk).update(decided_at=NOW - dt.timedelta(days=1))
    # when the analysis runs again with nothing new
    assert detection.find(NOW) == []
    # and then after a new incident
    new = opened("Print queue stuck", days_ago=0.5, configuration_item=server)
    again = detection.find(NOW)
    # then a new proposed candidate names the earlier decision and the new incident
    assert len(again) == 1 and again[0].pk != candidate.pk
    previous = again[0].evidence["previous"]
    assert previous["state"] == CandidateState.DISMISSED
    assert previous["reason"] == "Planned migration noise"
    assert previous["new_incidents"] == [new.number]
    assert ProblemCandidate.objects.filter(state=CandidateState.PROPOSED).count() == 1


def test_incidents_all_linked_to_one_problem_make_no_candidate(
    opened: Callable[..., Incident],
    make_ci: Callable[..., ConfigurationItem],
    make_problem: Callable[..., Any],
) -> None:
    # given four incidents on one server, all linked to one problem already
    server = make_ci("auth-01")
    incidents = [opened("SSO fails", days_ago=d, configuration_item=server) for d in (1, 2, 3, 4)]
    make_problem("SSO certificate expired", incidents=incidents)
    # when / then
    assert detection.find(NOW) == []


def test_canceled_and_child_incidents_do_not_count(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    # given three incidents on a server, plus one canceled and one child of another
    server = make_ci("ftp-01")
    parent = opened("FTP down", days_ago=3, configuration_item=server)
    opened("FTP down", days_ago=2, configuration_item=server)
    opened("FTP down", days_ago=1, configuration_item=server)
    Incident.objects.filter(pk=opened("FTP down", configuration_item=server).pk).update(
        state="canceled"
    )
    Incident.objects.filter(pk=opened("FTP down", configuration_item=server).pk).update(
        parent=parent
    )
    # when / then: three incidents are not four
    assert detection.find(NOW) == []


def test_words_read_numbers_with_the_word_before() -> None:
    assert detection.words("Printer on floor 3 jams") == {"printer", "floor", "floor 3", "jams"}
    assert detection.similarity(detection.words("floor 3"), detection.words("printer 3")) == 0
    assert detection.words("the a of") == frozenset()


def test_the_job_runs_the_analysis(
    opened: Callable[..., Incident], make_ci: Callable[..., ConfigurationItem]
) -> None:
    from watchkeeper.problems.tasks import detect_recurring_incidents

    # given four incidents on one server in the last days (the job uses the current time)
    server = make_ci("job-01")
    for _ in range(4):
        incident = opened("Disk full")
        Incident.objects.filter(pk=incident.pk).update(
            configuration_item=server, created_at=timezone.now() - dt.timedelta(hours=1)
        )
    # when / then
    assert detect_recurring_incidents.call_local() == 1
    assert ProblemCandidate.objects.get().basis == CandidateBasis.CONFIGURATION_ITEM
