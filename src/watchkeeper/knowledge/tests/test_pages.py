"""The portal and desk pages: audiences, sanitizing, feedback, the editor's workflow."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchkeeper.accounts.models import User
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import Article
from watchkeeper.requests.tests.helpers import client_for

pytestmark = pytest.mark.django_db
SCRIPT = 'Hello <script>alert("x")</script> [click](javascript:alert(1)) <img src=x onerror=y>'


def test_the_portal_shows_only_what_the_requester_may_read(
    make_article: Callable[..., Article], requester: User
) -> None:
    # given
    public = make_article("Wifi for everyone")
    agents = make_article("Wifi for agents", audience=Audience.AGENTS)
    draft = make_article("Wifi draft", publish=False)
    rita = client_for(requester)
    # when
    page = rita.get("/portal/knowledge/?q=wifi")
    # then
    assert page.status_code == 200
    assert public.number in page.text
    assert agents.number not in page.text and draft.number not in page.text
    assert rita.get(f"/portal/knowledge/{agents.number}/").status_code == 404
    assert rita.get(f"/portal/knowledge/{draft.number}/").status_code == 404
    assert rita.get("/desk/knowledge/").status_code == 403


def test_script_in_markdown_never_reaches_the_page(
    make_article: Callable[..., Article], requester: User, writer: User
) -> None:
    article = make_article("Hostile", body=SCRIPT)
    for page in (
        client_for(requester).get(f"/portal/knowledge/{article.number}/"),
        client_for(writer).get(f"/desk/knowledge/{article.number}/"),
        client_for(writer).get(f"/desk/knowledge/{article.number}/versions/1/"),
    ):
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert 'href="javascript' not in page.text and "onerror=y>" not in page.text
        assert "&lt;script&gt;" in page.text


def test_feedback_from_the_portal_and_the_view_count(
    make_article: Callable[..., Article], requester: User
) -> None:
    # given
    article = make_article()
    rita = client_for(requester)
    # when
    rita.get(f"/portal/knowledge/{article.number}/")
    answered = rita.post(f"/portal/knowledge/{article.number}/feedback/", {"helpful": "yes"})
    page = rita.get(f"/portal/knowledge/{article.number}/")
    # then
    assert answered.status_code == 302
    assert 'data-testid="verdict">You said: yes' in page.text
    article.refresh_from_db()
    assert (article.helpful_count, article.view_count) == (1, 2)
    assert rita.post(f"/portal/knowledge/{article.number}/feedback/", {}).status_code == 302
    article.refresh_from_db()
    assert article.helpful_count == 1


def test_the_editor_workflow(writer: User, publisher: User) -> None:
    # given
    wendy, paul = client_for(writer), client_for(publisher)
    created = wendy.post(
        "/desk/knowledge/new/",
        {"title": "Mail on phone", "body": "Add the account.", "audience": "everyone"},
    )
    assert created.status_code == 302
    article = Article.objects.get()
    base = f"/desk/knowledge/{article.number}"
    # when
    wendy.post(f"{base}/submit/", {"version": article.version})
    own = paul.get(f"{base}/")
    queue = paul.get("/desk/knowledge/?show=review")
    published = paul.post(f"{base}/review/", {"decision": "publish", "comment": "Good"})
    # then
    assert "Publish" in own.text and article.number in queue.text
    assert published.status_code == 302
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
    # a new draft beside the published version, refused when stale
    article.refresh_from_db()
    wendy.post(f"{base}/draft/", {"title": "Mail", "body": "New text", "version": article.version})
    stale = wendy.post(
        f"{base}/draft/",
        {"title": "Mail", "body": "Other", "version": article.version},
        follow=True,
    )
    assert "changed by someone else" in stale.text
    assert article.versions.get(state=VersionState.DRAFT).body == "New text"
    page = wendy.get(f"{base}/")
    assert 'data-testid="working"' in page.text and "Add the account." in page.text


def test_the_editor_shows_errors_beside_the_fields(writer: User) -> None:
    answer = client_for(writer).post("/desk/knowledge/new/", {"title": "", "body": ""})
    assert answer.status_code == 400 and "field--invalid" in answer.text
    assert not Article.objects.exists()


def test_review_needed_is_shown(make_article: Callable[..., Article], writer: User) -> None:
    import datetime as dt

    article = make_article(valid_until=dt.date(2000, 1, 1))
    page = client_for(writer).get(f"/desk/knowledge/{article.number}/")
    assert 'data-testid="review-needed"' in page.text


def test_the_tabs_link_the_knowledge_pages(requester: User, writer: User) -> None:
    assert 'href="/portal/knowledge/"' in client_for(requester).get("/portal/catalog/").text
    assert 'data-tab="knowledge"' in client_for(writer).get("/desk/knowledge/").text
