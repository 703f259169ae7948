"""The suggestion pages: the panel beside the portal's report form (htmx and without
JavaScript), opening and "This solved my problem", the report marking its draft, and the
workspace's "Suggested knowledge" card with "Attach to the resolution"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import transaction

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.numbering import next_number
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.choices import ActivityKind
from watchkeeper.incidents.models import Incident
from watchkeeper.knowledge import deflection
from watchkeeper.knowledge.choices import Audience, UseKind
from watchkeeper.knowledge.models import Article, ArticleUse
from watchkeeper.knowledge.tests.test_suggest import publish
from watchkeeper.problems.choices import ProblemState
from watchkeeper.problems.models import Problem
from watchkeeper.requests.tests.helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}
TYPED = "cannot connect to the VPN from home"
DRAFT_INPUT = re.compile(r'name="draft" id="id_draft" value="([\w-]+)"')


@pytest.fixture
def rita(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("alex", Role.AGENT)


@pytest.fixture
def vpn(agent: User) -> Article:
    return publish(agent, "Connect to the VPN from home", "Start AnyConnect at home.",
                   keywords="vpn remote")  # fmt: skip


@pytest.fixture
def runbook(agent: User) -> Article:
    return publish(agent, "VPN gateway runbook", "Fail over the VPN gateway.",
                   audience=Audience.AGENTS)  # fmt: skip


def uses(kind: str) -> list[ArticleUse]:
    return list(ArticleUse.objects.filter(kind=kind))


def test_the_report_page_has_a_draft_and_an_empty_panel(rita: User) -> None:
    # when
    page = client_for(rita).get("/portal/report/")

    # then
    html = page.content.decode()
    assert DRAFT_INPUT.search(html)
    assert 'id="suggestions"' in html and "keyup changed delay:400ms" in html
    assert "Look for articles first" in html


def test_htmx_gets_the_panel_and_the_suggestion_is_recorded_once(
    rita: User, vpn: Article, runbook: Article
) -> None:
    # given
    draft = deflection.new_draft()
    query = {"short_description": TYPED, "description": "", "draft": draft}

    # when htmx asks twice while Rita types
    client = client_for(rita)
    panel = client.get("/portal/report/suggestions/", query, **HTMX)
    client.get("/portal/report/suggestions/", query, **HTMX)

    # then the fragment lists the VPN article (never the runbook), linked with the draft
    html = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in html
    assert vpn.title in html and runbook.title not in html
    assert f"/portal/report/suggestions/{vpn.number}/open/?draft={draft}" in html
    assert [(use.article, use.draft, use.user) for use in uses(UseKind.SUGGESTED)] == [
        (vpn, draft, rita)
    ]


def test_without_javascript_the_button_shows_the_page_with_the_panel_and_the_text_kept(
    rita: User, vpn: Article
) -> None:
    # given
    draft = deflection.new_draft()

    # when the form is posted by "Look for articles first"
    page = client_for(rita).post(
        "/portal/report/suggestions/",
        {"short_description": TYPED, "description": "Since Monday", "draft": draft},
    )

    # then the report page comes back, with the article and what she typed
    html = page.content.decode()
    assert page.status_code == 200
    assert "Report the incident" in html and vpn.title in html
    assert f'value="{TYPED}"' in html and "Since Monday" in html
    assert DRAFT_INPUT.search(html).group(1) == draft  # type: ignore[union-attr]


def test_nothing_typed_or_nothing_found_says_so(rita: User, vpn: Article) -> None:
    # when
    client = client_for(rita)
    empty = client.get("/portal/report/suggestions/", {"draft": "x"}, **HTMX)
    none = client.get("/portal/report/suggestions/", {"short_description": "zzqx"}, **HTMX)

    # then
    assert "Start describing" in empty.content.decode()
    assert 'data-testid="no-suggestions"' in none.content.decode()
    assert uses(UseKind.SUGGESTED) == []


def test_opening_a_suggestion_is_recorded_and_shows_the_article(
    rita: User, vpn: Article, runbook: Article
) -> None:
    # given
    draft = deflection.new_draft()
    client = client_for(rita)

    # when
    opened = client.get(f"/portal/report/suggestions/{vpn.number}/open/", {"draft": draft})
    hidden = client.get(f"/portal/report/suggestions/{runbook.number}/open/", {"draft": draft})

    # then
    assert opened.status_code == 302 and opened["Location"] == f"/portal/knowledge/{vpn.number}/"
    assert hidden.status_code == 404
    assert [(use.article, use.draft) for use in uses(UseKind.OPENED)] == [(vpn, draft)]


def test_this_solved_my_problem_thanks_and_creates_no_incident(rita: User, vpn: Article) -> None:
    # given
    draft = deflection.new_draft()
    client = client_for(rita)
    url = f"/portal/report/suggestions/{vpn.number}/solved/"

    # when with htmx, and once more without
    answer = client.post(url, {"draft": draft}, **HTMX)
    plain = client.post(url, {"draft": draft}, follow=True)

    # then
    assert "No incident was created" in answer.content.decode()
    assert plain.redirect_chain[0][0] == "/"
    assert "No incident was created" in plain.content.decode()
    assert len(uses(UseKind.SOLVED)) == 2 and not Incident.objects.exists()
    assert client.get(url).status_code == 405


def test_submitting_the_report_marks_the_drafts_uses(rita: User, vpn: Article) -> None:
    # given Rita opened the article, and it did not help
    client = client_for(rita)
    draft = DRAFT_INPUT.search(client.get("/portal/report/").content.decode()).group(1)  # type: ignore[union-attr]
    client.get("/portal/report/suggestions/", {"short_description": TYPED, "draft": draft}, **HTMX)
    client.get(f"/portal/report/suggestions/{vpn.number}/open/", {"draft": draft})

    # when she reports the incident
    answer = client.post(
        "/portal/report/", {"short_description": TYPED, "urgency": 3, "draft": draft}
    )

    # then the draft's uses are the incident's, and no deflection
    assert answer.status_code == 302
    incident = Incident.objects.get()
    assert set(ArticleUse.objects.values_list("kind", "incident", "followed_by_incident")) == {
        (UseKind.SUGGESTED, incident.pk, True),
        (UseKind.OPENED, incident.pk, True),
    }


def test_an_invalid_report_keeps_its_draft(rita: User) -> None:
    # given
    draft = deflection.new_draft()

    # when the short description is missing
    page = client_for(rita).post("/portal/report/", {"description": "VPN", "draft": draft})

    # then
    assert page.status_code == 400
    assert DRAFT_INPUT.search(page.content.decode()).group(1) == draft  # type: ignore[union-attr]


@pytest.fixture
def incident(rita: User, agent: User) -> Incident:
    return create_incident(
        caller=rita, short_description="VPN drops at home", acting_user=agent, channel="phone"
    )


@pytest.fixture
def known_error(agent: User) -> Problem:
    with transaction.atomic():
        return Problem.objects.create(
            number=next_number(Problem.NUMBER_PREFIX), opened_by=agent, known_error=True,
            state=ProblemState.FIX_IN_PROGRESS, short_description="VPN drops every 10 minutes",
            workaround="Use the **backup** gateway vpn2.example.org.",
        )  # fmt: skip


def test_the_incident_page_suggests_articles_and_known_errors_to_staff(
    agent: User, incident: Incident, vpn: Article, runbook: Article, known_error: Problem
) -> None:
    # when
    page = client_for(agent).get(f"/desk/incidents/{incident.number}/")

    # then
    html = page.content.decode()
    assert "Suggested knowledge" in html
    assert vpn.title in html and runbook.title in html  # agents see agents-only articles
    assert known_error.number in html and "<strong>backup</strong>" in html
    assert html.count("Attach to the resolution") == 3


def test_an_auditor_sees_the_card_without_attach_buttons(
    make_user: Callable[..., User], incident: Incident, vpn: Article
) -> None:
    # when
    page = client_for(make_user("audrey", Role.AUDITOR)).get(f"/desk/incidents/{incident.number}/")

    # then
    html = page.content.decode()
    assert vpn.title in html and "Attach to the resolution" not in html


def test_attaching_an_article_adds_a_work_note_and_records_the_use(
    agent: User, incident: Incident, vpn: Article
) -> None:
    # when
    url = f"/desk/incidents/{incident.number}/knowledge/attach/"
    answer = client_for(agent).post(url, {"article": vpn.number})
    again = client_for(agent).post(url, {"article": vpn.number})

    # then
    assert answer.status_code == 302
    [note] = incident.activities.filter(kind=ActivityKind.WORK_NOTE)
    assert vpn.number in note.body and vpn.title in note.body and note.author == agent
    [use] = uses(UseKind.ATTACHED)
    assert (use.article, use.incident, use.user) == (vpn, incident, agent)
    assert again.status_code == 400 and "already attached" in again.content.decode()
    page = client_for(agent).get(f"/desk/incidents/{incident.number}/").content.decode()
    assert f"Attached to this incident: {vpn.number}" in page
    # and the resolve form starts by citing it
    assert f"Solved with {vpn.number}: {vpn.title}</textarea>" in page


def test_attaching_a_known_error_notes_its_workaround(
    agent: User, incident: Incident, known_error: Problem
) -> None:
    # when with htmx
    url = f"/desk/incidents/{incident.number}/knowledge/attach/"
    answer = client_for(agent).post(url, {"problem": known_error.number}, **HTMX)

    # then the record comes back with the note in its stream
    assert answer.status_code == 200
    [note] = incident.activities.filter(kind=ActivityKind.WORK_NOTE)
    assert known_error.number in note.body
    assert "Use the **backup** gateway vpn2.example.org." in note.body
    assert "backup</strong> gateway" in answer.content.decode()


def test_attaching_is_for_the_service_desk_and_checks_what_is_sent(
    rita: User, agent: User, make_user: Callable[..., User], incident: Incident,
    vpn: Article, known_error: Problem,
) -> None:  # fmt: skip
    # given
    url = f"/desk/incidents/{incident.number}/knowledge/attach/"
    auditor = make_user("audrey", Role.AUDITOR)
    not_known = Problem.objects.create(
        number="PRB0009999", opened_by=agent, short_description="Not known yet"
    )

    # when / then: requesters and auditors may not, and bad input is a 4xx
    assert client_for(rita).post(url, {"article": vpn.number}).status_code == 403
    assert client_for(auditor).post(url, {"article": vpn.number}).status_code == 403
    assert client_for(agent).post(url, {}).status_code == 400
    assert client_for(agent).post(url, {"article": "KB9999999"}).status_code == 404
    assert client_for(agent).post(url, {"problem": not_known.number}).status_code == 400
    missing = "/desk/incidents/INC9999999/knowledge/attach/"
    assert client_for(agent).post(missing, {"article": vpn.number}).status_code == 404
    assert not ArticleUse.objects.exists()
    assert not incident.activities.filter(kind=ActivityKind.WORK_NOTE).exists()


def test_the_api_gives_an_incidents_knowledge_to_staff_only(
    rita: User, agent: User, incident: Incident, vpn: Article, known_error: Problem
) -> None:
    # when
    answer = client_for(agent).get(f"/api/v1/incidents/{incident.number}/knowledge")

    # then
    assert answer.status_code == 200
    body = answer.json()
    assert [row["number"] for row in body["articles"]] == [vpn.number]
    assert body["known_errors"][0]["number"] == known_error.number
    assert body["known_errors"][0]["workaround"].startswith("Use the **backup**")
    denied = client_for(rita).get(f"/api/v1/incidents/{incident.number}/knowledge")
    assert denied.status_code == 403
