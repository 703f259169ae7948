"""Problem factories: the people who work problems, incidents to link, ``make_problem``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.actions import create_ci
from watchkeeper.cmdb.choices import CiClass
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Incident
from watchkeeper.problems.actions import create_problem
from watchkeeper.problems.models import Problem

_counter = itertools.count(1)


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("alex", Role.AGENT)


@pytest.fixture
def auditor(make_user: Callable[..., User]) -> User:
    return make_user("audrey", Role.AUDITOR)


@pytest.fixture
def problem_manager(make_user: Callable[..., User]) -> User:
    return make_user("pia", Role.PROBLEM_MANAGER)


@pytest.fixture
def team(make_group: Callable[..., SupportGroup], agent: User) -> SupportGroup:
    return make_group("Problem team", members=(agent,))


@pytest.fixture
def make_ci(db: None) -> Callable[..., ConfigurationItem]:
    def make(name: str | None = None, ci_class: str = CiClass.SERVER) -> ConfigurationItem:
        return create_ci(name=name or f"srv-{next(_counter)}", ci_class=ci_class, acting_user=None)

    return make


@pytest.fixture
def make_incident(make_user: Callable[..., User], agent: User) -> Callable[..., Incident]:
    """An incident an agent took on the phone for a new requester."""

    def make(short_description: str = "Mail is slow", **fields: Any) -> Incident:
        return create_incident(
            caller=make_user(),
            short_description=short_description,
            acting_user=agent,
            channel=Channel.PHONE,
            **fields,
        )

    return make


@pytest.fixture
def make_problem(agent: User) -> Callable[..., Problem]:
    def make(short_description: str = "Mail server runs out of disk", **fields: Any) -> Problem:
        fields.setdefault("acting_user", agent)
        return create_problem(short_description=short_description, **fields)

    return make
