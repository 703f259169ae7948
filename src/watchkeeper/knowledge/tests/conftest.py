"""Knowledge factories: people by what they may do, ``make_article`` (published or not) and
``make_problem`` (a known error's source)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.numbering import next_number
from watchkeeper.knowledge import actions
from watchkeeper.knowledge.models import Article
from watchkeeper.problems.models import Problem


@pytest.fixture
def writer(make_user: Callable[..., User]) -> User:
    return make_user("wendy", Role.AGENT)


@pytest.fixture
def publisher(make_user: Callable[..., User]) -> User:
    return make_user("paul", Role.PROBLEM_MANAGER)


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def make_article(writer: User, publisher: User) -> Callable[..., Article]:
    """An article written by ``writer``; ``publish=True`` has ``publisher`` publish it."""

    def make(title: str = "Reset your password", publish: bool = True, **fields: Any) -> Article:
        body = fields.pop("body", f"How to: {title}.\n\n1. Open the portal.\n2. Follow the link.")
        article = actions.create_article(title=title, body=body, acting_user=writer, **fields)
        if publish:
            actions.submit(article, acting_user=writer)
            actions.review(article, publish=True, acting_user=publisher)
            article.refresh_from_db()
        return article

    return make


@pytest.fixture
def make_problem(make_user: Callable[..., User]) -> Callable[..., Problem]:
    def make(**fields: Any) -> Problem:
        opener = fields.pop("opened_by", None) or make_user(None, Role.RESOLVER)
        fields.setdefault("short_description", "VPN drops every 10 minutes")
        fields.setdefault("description", "Users on the VPN lose the tunnel every 10 minutes.")
        fields.setdefault("root_cause", "The gateway's DPD timeout is too short.")
        fields.setdefault("workaround", "Reconnect, or use the *backup* gateway.")
        with transaction.atomic():
            return Problem.objects.create(
                number=next_number(Problem.NUMBER_PREFIX), opened_by=opener, **fields
            )

    return make
