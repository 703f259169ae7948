"""Deflections: drafts in which a suggested article was opened or solved the problem and no
incident followed (a solved one at once, an opened one after an hour)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.incidents.actions import create_incident
from watchkeeper.knowledge import deflection
from watchkeeper.knowledge.choices import UseKind
from watchkeeper.knowledge.models import Article, ArticleUse
from watchkeeper.knowledge.tests.test_suggest import publish
from watchkeeper.requests.tests.helpers import client_for

MORNING = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
DAY_START = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
DAY_END = DAY_START + dt.timedelta(days=1)


@pytest.fixture
def rita(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def vpn(make_user: Callable[..., User]) -> Article:
    return publish(make_user("kim", Role.AGENT), "Connect to the VPN", "Start AnyConnect.")


@pytest.fixture
def printer(vpn: Article) -> Article:
    return publish(vpn.owner, "Add a printer", "Open Settings.")


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def test_an_opened_article_counts_after_an_hour_without_an_incident(
    rita: User, vpn: Article
) -> None:
    # given Rita opened the VPN article from a suggestion at nine
    draft = deflection.new_draft()
    with at(MORNING):
        deflection.record_suggested(draft, rita, [vpn.pk])
        deflection.record_use(draft, rita, vpn, UseKind.OPENED)

    # when / then: not yet at half past nine (she may come back), but at ten past ten
    assert deflection.count(DAY_START, DAY_END, now=MORNING + dt.timedelta(minutes=30)) == 0
    assert deflection.count(DAY_START, DAY_END, now=MORNING + dt.timedelta(minutes=70)) == 1
    # and only in the period it happened in
    assert deflection.count(DAY_END, DAY_END + dt.timedelta(days=1), now=DAY_END) == 0


def test_solved_counts_at_once_and_a_submitted_draft_never(
    rita: User, vpn: Article, printer: Article
) -> None:
    # given one draft solved by the VPN article, another that opened it and was submitted
    solved, submitted, only_suggested = (deflection.new_draft() for _ in range(3))
    with at(MORNING):
        deflection.record_use(solved, rita, vpn, UseKind.OPENED)
        deflection.record_use(solved, rita, vpn, UseKind.SOLVED)
        deflection.record_use(submitted, rita, printer, UseKind.OPENED)
        deflection.record_suggested(only_suggested, rita, [printer.pk])
        incident = create_incident(caller=rita, short_description="Printer", acting_user=rita)
        deflection.mark_submitted(submitted, incident, rita)

    # when
    with at(MORNING + dt.timedelta(minutes=1)):
        report = deflection.report(DAY_START, DAY_END)

    # then one deflection, by the VPN article (a draft counts once, whatever it did)
    assert report.total == 1
    assert [(row.number, row.deflections) for row in report.articles] == [(vpn.number, 1)]
    opened = ArticleUse.objects.get(draft=submitted, kind=UseKind.OPENED)
    assert opened.followed_by_incident and opened.incident == incident


def test_a_draft_counts_for_each_article_it_opened(
    rita: User, vpn: Article, printer: Article
) -> None:
    # given two drafts: one opened both articles, one solved with the VPN article
    both, vpn_only = deflection.new_draft(), deflection.new_draft()
    with at(MORNING):
        deflection.record_use(both, rita, printer, UseKind.OPENED)
        deflection.record_use(both, rita, vpn, UseKind.OPENED)
        deflection.record_use(vpn_only, rita, vpn, UseKind.SOLVED)

    # when
    report = deflection.report(DAY_START, DAY_END, now=MORNING + dt.timedelta(hours=2))

    # then
    assert report.total == 2
    rows = [(row.number, row.deflections) for row in report.articles]
    assert rows == [(vpn.number, 2), (printer.number, 1)]


def test_a_suggestion_is_recorded_once_per_draft_and_article(rita: User, vpn: Article) -> None:
    # given
    draft = deflection.new_draft()

    # when the panel shows the article three times, with another draft once
    for _ in range(3):
        deflection.record_suggested(draft, rita, [vpn.pk, vpn.pk])
    deflection.record_suggested(deflection.new_draft(), rita, [vpn.pk])
    deflection.record_suggested("", rita, [vpn.pk])  # no draft, nothing to tie it to

    # then
    assert ArticleUse.objects.filter(kind=UseKind.SUGGESTED, draft=draft).count() == 1
    assert ArticleUse.objects.filter(kind=UseKind.SUGGESTED).count() == 2


def test_only_the_drafts_author_marks_it_submitted(
    rita: User, vpn: Article, make_user: Callable[..., User]
) -> None:
    # given Rita's draft, and Sam who got hold of its token
    draft = deflection.new_draft()
    deflection.record_use(draft, rita, vpn, UseKind.OPENED)
    sam = make_user("sam", Role.REQUESTER)
    incident = create_incident(caller=sam, short_description="VPN", acting_user=sam)

    # when Sam submits with Rita's token
    deflection.mark_submitted(draft, incident, sam)

    # then Rita's use is untouched
    assert not ArticleUse.objects.get(draft=draft).followed_by_incident


def test_a_use_after_the_submission_belongs_to_the_incident(rita: User, vpn: Article) -> None:
    # given a submitted draft
    draft = deflection.new_draft()
    deflection.record_use(draft, rita, vpn, UseKind.OPENED)
    incident = create_incident(caller=rita, short_description="VPN", acting_user=rita)
    deflection.mark_submitted(draft, incident, rita)

    # when she opens the article again from the old tab
    use = deflection.record_use(draft, rita, vpn, UseKind.SOLVED)

    # then it is no deflection
    assert use.followed_by_incident and use.incident == incident
    assert deflection.count(DAY_START, DAY_END + dt.timedelta(days=10**4)) == 0


def test_the_api_reports_deflections_to_staff_only(
    rita: User, vpn: Article, make_user: Callable[..., User]
) -> None:
    # given one solved draft in the morning
    with at(MORNING):
        deflection.record_use(deflection.new_draft(), rita, vpn, UseKind.SOLVED)
    agent = make_user("alex", Role.AGENT)
    period = {"since": "2025-03-03T00:00:00Z", "until": "2025-03-04T00:00:00Z"}

    # when
    answer = client_for(agent).get("/api/v1/knowledge/deflections", period)

    # then
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["total"] == 1
    assert body["articles"] == [{"number": vpn.number, "title": vpn.title, "deflections": 1}]
    assert client_for(rita).get("/api/v1/knowledge/deflections").status_code == 403
    backwards = {"since": period["until"], "until": period["since"]}
    refused = client_for(agent).get("/api/v1/knowledge/deflections", backwards)
    assert refused.status_code == 400 and "since" in refused.json()["detail"]
    garbled = client_for(agent).get("/api/v1/knowledge/deflections", {"since": "yesterday"})
    assert garbled.status_code == 422
