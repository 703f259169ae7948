"""The article workflow: draft, submit, review (four eyes), publish, a new draft beside the
published version, retire; history and search follow each step."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history import history_of, verify_history
from watchkeeper.core.search import search
from watchkeeper.knowledge import actions, reading
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_an_article_goes_from_draft_to_published(writer: User, publisher: User) -> None:
    # given
    article = actions.create_article(
        title="Printer jams", body="Open tray 2.", keywords="paper", acting_user=writer
    )
    assert article.number.startswith("KB") and article.state == ArticleState.DRAFT
    # when
    actions.submit(article, acting_user=writer)
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW
    actions.review(article, publish=True, acting_user=publisher)
    # then
    article.refresh_from_db()
    version = article.published
    assert article.state == ArticleState.PUBLISHED
    assert version is not None and version.number == 1
    assert (version.state, version.reviewed_by) == (VersionState.PUBLISHED, publisher)
    assert [e.action for e in history_of(article)] == ["created", "submitted", "published"]
    assert verify_history() == []


def test_the_author_never_reviews_their_own_version(
    make_user: Callable[..., User], publisher: User
) -> None:
    # given: a problem manager writes an article
    article = actions.create_article(title="T", body="B", acting_user=publisher)
    actions.submit(article, acting_user=publisher)
    # when / then
    with pytest.raises(PermissionDenied, match="four eyes"):
        actions.review(article, publish=True, acting_user=publisher)
    other = make_user("sam", Role.SERVICE_OWNER)
    actions.review(article, publish=True, acting_user=other)
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED


def test_an_agent_may_not_publish(writer: User, make_user: Callable[..., User]) -> None:
    article = actions.create_article(title="T", body="B", acting_user=writer)
    actions.submit(article, acting_user=writer)
    with pytest.raises(PermissionDenied):
        actions.review(article, publish=True, acting_user=make_user("ann", Role.AGENT))


def test_sending_back_needs_a_comment_and_returns_it_to_draft(
    writer: User, publisher: User
) -> None:
    # given
    article = actions.create_article(title="T", body="B", acting_user=writer)
    actions.submit(article, acting_user=writer)
    # when
    with pytest.raises(ValidationError):
        actions.review(article, publish=False, comment=" ", acting_user=publisher)
    actions.review(article, publish=False, comment="Add a screenshot", acting_user=publisher)
    # then
    article.refresh_from_db()
    version = article.versions.get()
    assert (article.state, version.state) == (ArticleState.DRAFT, VersionState.REJECTED)
    assert version.review_comment == "Add a screenshot"
    # and the next edit is a new draft, keeping the review on the sent-back version
    draft = actions.save_draft(article, title="T", body="B + screenshot", acting_user=writer)
    assert (draft.number, draft.state) == (2, VersionState.DRAFT)


def test_readers_keep_the_published_version_while_a_new_one_is_drafted(
    make_article: Callable[..., Article], writer: User, publisher: User, requester: User
) -> None:
    # given
    article = make_article("VPN setup", body="Install the client.")
    # when
    draft = actions.save_draft(
        article, title="VPN setup (new)", body="Install zebracorn.", acting_user=writer
    )
    # then
    article.refresh_from_db()
    assert draft.number == 2 and article.title == "VPN setup"
    assert article.published.body == "Install the client."
    visible = reading.published_for(requester)
    assert list(search(visible, "client")) == [article]
    assert not search(visible, "zebracorn").exists()  # draft words are not searchable
    # when it is published
    actions.submit(article, acting_user=writer)
    actions.review(article, publish=True, acting_user=publisher)
    # then
    article.refresh_from_db()
    assert article.title == "VPN setup (new)" and article.published.number == 2
    states = dict(article.versions.values_list("number", "state"))
    assert states == {1: VersionState.SUPERSEDED, 2: VersionState.PUBLISHED}
    assert list(search(visible, "zebracorn")) == [article]


def test_a_version_in_review_is_not_edited(writer: User) -> None:
    article = actions.create_article(title="T", body="B", acting_user=writer)
    actions.submit(article, acting_user=writer)
    with pytest.raises(ValidationError, match="in review"):
        actions.save_draft(article, title="T", body="changed", acting_user=writer)
    assert article.versions.get().body == "B"


def test_a_stale_edit_is_refused(writer: User) -> None:
    article = actions.create_article(title="T", body="B", acting_user=writer)
    seen = article.version
    actions.save_draft(article, title="T", body="B2", acting_user=writer, expected_version=seen)
    with pytest.raises(Conflict):
        actions.save_draft(article, title="T", body="B3", acting_user=writer, expected_version=seen)
    assert article.versions.get().body == "B2"


def test_text_is_required(writer: User) -> None:
    with pytest.raises(ValidationError) as error:
        actions.create_article(title=" ", body="", acting_user=writer)
    assert set(error.value.message_dict) == {"title", "body"}
    assert not Article.objects.exists()


def test_a_requester_cannot_write(requester: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_article(title="T", body="B", acting_user=requester)


def test_retiring_hides_the_article_from_readers(
    make_article: Callable[..., Article], publisher: User, writer: User, requester: User
) -> None:
    # given
    article = make_article()
    # when
    with pytest.raises(PermissionDenied):
        actions.retire(article, reason="Old", acting_user=writer)
    actions.retire(article, reason="Replaced by KB0001234", acting_user=publisher)
    # then
    assert not reading.published_for(requester).filter(pk=article.pk).exists()
    assert reading.restrict(writer).filter(pk=article.pk).exists()
    entry = history_of(article).last()
    assert entry.action == "retired" and entry.changes["reason"]["new"] == "Replaced by KB0001234"


def test_details_change_and_rearm_the_reminder(
    make_article: Callable[..., Article], writer: User
) -> None:
    import datetime as dt

    from django.utils import timezone

    # given
    article = make_article(valid_until=dt.date(2030, 1, 1))
    Article.objects.filter(pk=article.pk).update(review_reminded_at=timezone.now())
    article.refresh_from_db()
    # when
    changes = actions.update_details(
        article,
        {"valid_until": dt.date(2031, 1, 1), "audience": Audience.AGENTS, "keywords": " wifi "},
        acting_user=writer,
    )
    # then
    assert set(changes) == {"valid_until", "audience", "keywords"}
    article.refresh_from_db()
    assert article.review_reminded_at is None and article.keywords == "wifi"
    assert article.audience == Audience.AGENTS
    with pytest.raises(ValidationError):
        actions.update_details(article, {"state": "published"}, acting_user=writer)
