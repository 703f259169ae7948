"""The daily job reminds an article's owner once when its valid-until date is near or past."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.core import mail

from watchkeeper.accounts.models import User
from watchkeeper.core.history import history_of
from watchkeeper.core.models import Notification
from watchkeeper.knowledge import actions
from watchkeeper.knowledge.models import Article
from watchkeeper.knowledge.tasks import remind_article_reviews

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2030, 6, 1, 8, tzinfo=dt.UTC), tick=False)
def test_the_owner_is_reminded_once(
    make_article: Callable[..., Article],
    writer: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    # given
    due = make_article("Due soon", valid_until=dt.date(2030, 6, 10))
    make_article("Later", valid_until=dt.date(2030, 7, 1))
    make_article("Draft", publish=False, valid_until=dt.date(2030, 6, 2))
    # when
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert remind_article_reviews.call_local() == 1
    # then
    assert [m.to for m in mail.outbox] == [[writer.email]]
    assert due.number in mail.outbox[0].subject and "/desk/knowledge/" in mail.outbox[0].body
    assert Notification.objects.filter(user=writer, title__contains=due.number).count() == 1
    assert history_of(due).last().action == "review_reminded"
    # and not again the next day
    with time_machine.travel(dt.datetime(2030, 6, 2, 8, tzinfo=dt.UTC)):
        assert remind_article_reviews.call_local() == 0
    # until a new valid-until date re-arms it, which becomes due in its turn
    actions.update_details(due, {"valid_until": dt.date(2030, 9, 1)}, acting_user=writer)
    with time_machine.travel(dt.datetime(2030, 8, 20, 8, tzinfo=dt.UTC)):
        assert remind_article_reviews.call_local() == 2  # "Later" is past by now too


def test_a_past_date_says_so(
    make_article: Callable[..., Article],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    make_article("Old", valid_until=dt.date(2020, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        remind_article_reviews.call_local()
    assert "which has passed" in mail.outbox[0].body
