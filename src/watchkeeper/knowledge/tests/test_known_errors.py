"""The known-error article: published to agents at once, a new version on each publication."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.core.search import search
from watchkeeper.knowledge.choices import ArticleState, Audience, VersionState
from watchkeeper.knowledge.known_errors import publish_for_problem
from watchkeeper.knowledge.models import Article
from watchkeeper.problems.models import Problem

pytestmark = pytest.mark.django_db


def test_a_known_error_is_published_to_agents_at_once(
    make_problem: Callable[..., Problem], writer: User
) -> None:
    # given
    problem = make_problem()
    # when
    article = publish_for_problem(problem, writer)
    # then
    article.refresh_from_db()
    assert article.audience == Audience.AGENTS
    assert article.state == ArticleState.PUBLISHED
    assert article.title == "Known error: VPN drops every 10 minutes"
    published = article.published
    assert published is not None and published.number == 1
    assert published.state == VersionState.PUBLISHED
    for text in (problem.number, "lose the tunnel", "DPD timeout", "*backup* gateway"):
        assert text in published.body
    assert problem.article is None  # the caller saves the link
    assert [e.action for e in history_of(article)] == ["created", "published"]
    assert list(search(Article.objects.all(), "dpd gateway")) == [article]


def test_publishing_again_supersedes_the_previous_version(
    make_problem: Callable[..., Problem], writer: User
) -> None:
    # given
    problem = make_problem()
    problem.article = publish_for_problem(problem, writer)
    problem.save()
    problem.workaround = "Install the client 5.2 which keeps the tunnel alive."
    # when
    again = publish_for_problem(problem, writer)
    # then
    assert again.pk == problem.article.pk
    versions = list(again.versions.order_by("number").values_list("number", "state"))
    assert versions == [(1, VersionState.SUPERSEDED), (2, VersionState.PUBLISHED)]
    again.refresh_from_db()
    assert "client 5.2" in again.published.body
    assert list(search(Article.objects.all(), "client 5.2")) == [again]
    assert not search(Article.objects.all(), "backup").exists()


def test_a_draft_in_work_does_not_block_the_known_error(
    make_problem: Callable[..., Problem], writer: User
) -> None:
    # given: someone is editing the article when the problem publishes again
    from watchkeeper.knowledge import actions

    problem = make_problem()
    problem.article = publish_for_problem(problem, writer)
    problem.save()
    actions.save_draft(problem.article, title="Edited", body="Being edited", acting_user=writer)
    # when
    article = publish_for_problem(problem, writer)
    # then
    states = set(article.versions.values_list("state", flat=True))
    assert states == {VersionState.SUPERSEDED, VersionState.DRAFT, VersionState.PUBLISHED}


def test_a_requester_cannot_publish_a_known_error(
    make_problem: Callable[..., Problem], requester: User
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        publish_for_problem(make_problem(), requester)
    assert not Article.objects.exists()
