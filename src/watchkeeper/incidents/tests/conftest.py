"""Incident factories: ``make_category``, ``make_incident`` and the people who work incidents."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import create_incident
from watchkeeper.incidents.models import Category, Incident

_counter = itertools.count(1)


@pytest.fixture
def make_category(db: None) -> Callable[..., Category]:
    def make(
        name: str | None = None,
        *,
        parent: Category | None = None,
        default_group: SupportGroup | None = None,
        **fields: Any,
    ) -> Category:
        return Category.objects.create(
            name=name or f"Category {next(_counter)}",
            parent=parent,
            default_group=default_group,
            **fields,
        )

    return make


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER, first_name="Rita")


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("alex", Role.AGENT, first_name="Alex")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user("morgan", Role.INCIDENT_MANAGER, first_name="Morgan")


@pytest.fixture
def desk(make_group: Callable[..., SupportGroup], agent: User) -> SupportGroup:
    """The service desk group, with ``agent`` in it."""
    return make_group("Service desk", members=(agent,))


@pytest.fixture
def make_incident(
    make_user: Callable[..., User],
) -> Callable[..., Incident]:
    """An incident reported by ``caller`` (a new requester unless given), by ``acting_user``
    (the caller unless given) through ``channel``; other keyword arguments go to the action."""

    def make(
        short_description: str = "Printer on floor 3 jams",
        *,
        caller: User | None = None,
        acting_user: User | None = None,
        channel: str | None = None,
        **fields: Any,
    ) -> Incident:
        caller = caller or make_user()
        acting = acting_user or caller
        default_channel = Channel.PORTAL if acting == caller else Channel.PHONE
        return create_incident(
            caller=caller,
            short_description=short_description,
            acting_user=acting,
            channel=channel or default_channel,
            **fields,
        )

    return make
