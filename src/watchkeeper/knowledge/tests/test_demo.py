"""The demo's articles: published through the workflow, for both audiences, loaded once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.knowledge.choices import ArticleState, Audience
from watchkeeper.knowledge.demo import ARTICLES, load_knowledge
from watchkeeper.knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_the_demo_articles_load_once(make_user: Callable[..., User], admin_user: User) -> None:
    people = {
        "adam": make_user("adam", Role.AGENT),
        "paul": make_user("paul", Role.PROBLEM_MANAGER),
    }
    load_knowledge(people, admin_user)
    load_knowledge(people, admin_user)
    assert Article.objects.count() == len(ARTICLES)
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.PUBLISHED}
    audiences = set(Article.objects.values_list("audience", flat=True))
    assert audiences == {Audience.EVERYONE, Audience.AGENTS}
