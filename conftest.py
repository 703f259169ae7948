"""Fixtures shared by every test: factories (``make_*``), jobs run inline, API helpers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import SupportGroup, User

PASSWORD = "correct horse battery staple 42"
_counter = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 is slow by design (about 0.1 s a hash); tests hash with a fast one instead."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Each test starts from empty process caches (SLA definitions, the CMDB graph): a
    rolled-back test's rows may share ids and versions with the next test's."""
    from watchkeeper.cmdb import graph_cache
    from watchkeeper.sla import definitions

    definitions.forget()
    graph_cache.forget()
    yield
    definitions.forget()
    graph_cache.forget()


@pytest.fixture(autouse=True)
def _own_events_spool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test accepts events into a spool of its own (``events.spool``)."""
    from watchkeeper.events import spool

    with override_settings(EVENTS_SPOOL=tmp_path_factory.mktemp("spool") / "spool.sqlite3"):
        yield
    spool.close()


@pytest.fixture(autouse=True)
def _jobs_run_inline() -> Iterator[None]:
    """Jobs run in the test's thread, as soon as they are enqueued (Huey's immediate mode)."""
    from watchkeeper.core.jobs import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        username: str | None = None, *roles: str, password: str = PASSWORD, **fields: Any
    ) -> User:
        name = username or f"user{next(_counter)}"
        fields.setdefault("email", f"{name}@example.org")
        return actions.create_user(
            username=name,
            password=password,
            roles=roles or (Role.REQUESTER,),
            acting_user=None,
            **fields,
        )

    return make


@pytest.fixture
def make_group(db: None) -> Callable[..., SupportGroup]:
    def make(
        name: str | None = None, members: tuple[User, ...] = (), **fields: Any
    ) -> SupportGroup:
        group = actions.create_group(
            name=name or f"Group {next(_counter)}", acting_user=None, **fields
        )
        if members:
            actions.set_members(group, members, acting_user=None)
        return group

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("admin", Role.ADMINISTRATOR)


@pytest.fixture
def make_token(db: None) -> Callable[..., str]:
    """A fresh API token's secret for ``user``."""

    def make(user: User, scope: str = "write", **kwargs: Any) -> str:
        _, secret = actions.create_token(
            user, name=kwargs.pop("name", "test"), scope=scope, acting_user=None, **kwargs
        )
        return secret

    return make


@pytest.fixture
def api_client(make_token: Callable[..., str]) -> Callable[..., Client]:
    """A test client that sends ``Authorization: Bearer <token>`` for ``user``."""

    def make(user: User, scope: str = "write") -> Client:
        return Client(headers={"Authorization": f"Bearer {make_token(user, scope)}"})

    return make
