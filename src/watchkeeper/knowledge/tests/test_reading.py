"""Who reads what, feedback (one per reader, changeable, counts in step) and view counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.knowledge import actions, reading
from watchkeeper.knowledge.choices import Audience
from watchkeeper.knowledge.models import Article, ArticleFeedback

pytestmark = pytest.mark.django_db


def test_audiences(
    make_article: Callable[..., Article], requester: User, writer: User, publisher: User
) -> None:
    # given
    everyone = make_article("For everyone")
    agents = make_article("For agents", audience=Audience.AGENTS)
    draft = make_article("Unpublished", publish=False)
    # then
    assert set(reading.published_for(requester)) == {everyone}
    assert set(reading.published_for(writer)) == {everyone, agents}
    assert set(reading.restrict(requester)) == {everyone}
    assert set(reading.restrict(writer)) == {everyone, agents, draft}


def test_feedback_is_one_per_reader_and_can_change(
    make_article: Callable[..., Article], requester: User, writer: User
) -> None:
    # given
    article = make_article()
    # when
    reading.give_feedback(article, helpful=True, acting_user=requester)
    reading.give_feedback(article, helpful=False, acting_user=writer)
    reading.give_feedback(article, helpful=False, comment="Step 2 fails", acting_user=requester)
    # then
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (0, 2)
    assert ArticleFeedback.objects.filter(article=article).count() == 2
    assert reading.verdict_of(article, requester) is False
    assert [e.action for e in history_of(article)].count("feedback") == 3


def test_no_feedback_on_what_the_reader_cannot_see(
    make_article: Callable[..., Article], requester: User
) -> None:
    hidden = make_article("Internal", audience=Audience.AGENTS)
    with pytest.raises(ValidationError):
        reading.give_feedback(hidden, helpful=True, acting_user=requester)
    assert not ArticleFeedback.objects.exists()


def test_each_view_counts_except_the_owners(
    make_article: Callable[..., Article], requester: User, writer: User
) -> None:
    article = make_article()
    reading.count_view(article, requester)
    reading.count_view(article, requester)
    reading.count_view(article, writer)  # the owner
    article.refresh_from_db()
    assert article.view_count == 2


def test_review_needed_from_fourteen_days_before(
    make_article: Callable[..., Article], writer: User
) -> None:
    import datetime as dt

    article = make_article(valid_until=dt.date(2030, 6, 30))
    assert not reading.review_needed(article, dt.date(2030, 6, 15))
    assert reading.review_needed(article, dt.date(2030, 6, 16))
    assert reading.review_needed(article, dt.date(2030, 8, 1))
    actions.update_details(article, {"valid_until": None}, acting_user=writer)
    assert not reading.review_needed(article, dt.date(2030, 8, 1))
