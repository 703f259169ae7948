"""Lockout after repeated failed logins, for real and unknown usernames alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from watchkeeper.accounts import lockout
from watchkeeper.accounts.models import LoginFailure

PASSWORD = "correct horse battery staple 42"


def _fail(username: str, times: int) -> None:
    for _ in range(times):
        assert authenticate(None, username=username, password="wrong password") is None


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15


def test_right_password_logs_in(make_user):
    # given a user
    user = make_user("alice")

    # when they log in with their password
    # then they are authenticated
    assert authenticate(None, username="alice", password=PASSWORD) == user


def test_the_limit_of_failures_locks_the_user_out(make_user):
    # given a user who failed as often as allowed
    make_user("alice")
    _fail("alice", 3)

    # when they then give the right password
    result = authenticate(None, username="alice", password=PASSWORD)

    # then they are still refused, because the username is locked
    assert result is None
    assert lockout.is_locked("alice")


def test_fewer_failures_than_the_limit_do_not_lock(make_user):
    # given a user who failed one time fewer than the limit
    user = make_user("alice")
    _fail("alice", 2)

    # when they give the right password
    result = authenticate(None, username="alice", password=PASSWORD)

    # then they get in, and their failures are forgotten
    assert result == user
    assert not LoginFailure.objects.filter(username="alice").exists()


def test_unknown_usernames_are_locked_the_same_way(db):
    # given a username that does not exist
    # when it fails as often as allowed
    _fail("ghost", 2)
    locked_before = lockout.is_locked("ghost")
    _fail("ghost", 1)

    # then it is locked, just like a real one, so the lockout does not reveal which exist
    assert locked_before is False
    assert lockout.is_locked("ghost")
    assert LoginFailure.objects.filter(username="ghost").count() == 3


def test_lockout_ignores_the_case_of_the_username(make_user):
    # given failures under different spellings of one username
    make_user("alice")
    _fail("Alice", 2)
    _fail("ALICE", 1)

    # when the user logs in
    # then the username is locked however it is spelt
    assert lockout.is_locked("alice")
    assert authenticate(None, username="alice", password=PASSWORD) is None


def test_one_locked_username_does_not_lock_another(make_user):
    # given one user locked out
    make_user("alice")
    bob = make_user("bob")
    _fail("alice", 3)

    # when another user logs in
    # then they get in
    assert authenticate(None, username="bob", password=PASSWORD) == bob


def test_old_failures_fall_out_of_the_window(make_user):
    # given a user whose failures are older than the lockout window
    user = make_user("alice")
    _fail("alice", 3)
    LoginFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=16))

    # when they log in
    # then they get in again
    assert not lockout.is_locked("alice")
    assert authenticate(None, username="alice", password=PASSWORD) == user


@pytest.mark.parametrize("username", ["x" * 500, "nul\x00name", ""])
def test_odd_usernames_fail_cleanly(db, username):
    # given a username too long to store, one with a NUL character, and an empty one
    # when a login is tried with it
    result = authenticate(None, username=username, password="whatever")

    # then it fails without an error, recording at most this one failure
    assert result is None
    assert LoginFailure.objects.count() <= 1


def test_a_too_long_username_is_locked_like_any_other(db):
    # given a username longer than the failures column, failing as often as allowed
    _fail("y" * 400, 3)

    # then it is locked
    assert lockout.is_locked("y" * 400)


def test_failures_record_the_address(db):
    # given a request from an address
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.7")

    # when a login fails
    assert authenticate(request, username="mallory", password="nope") is None

    # then the failure is kept with the address
    failure = LoginFailure.objects.get()
    assert (failure.username, failure.ip_address) == ("mallory", "192.0.2.7")


def test_purge_expired_removes_only_old_failures(db):
    # given an old and a recent failure
    old = LoginFailure.objects.create(username="a", at=timezone.now() - dt.timedelta(hours=1))
    recent = LoginFailure.objects.create(username="b")

    # when expired failures are purged
    deleted = lockout.purge_expired()

    # then only the old one is gone
    assert deleted == 1
    assert list(LoginFailure.objects.all()) == [recent]
    assert not LoginFailure.objects.filter(pk=old.pk).exists()


def test_an_inactive_user_cannot_log_in(make_user, admin_user):
    # given a deactivated user
    from watchkeeper.accounts import actions

    user = make_user("gone")
    actions.update_user(user, acting_user=admin_user, is_active=False)

    # when they log in with the right password
    # then they are refused
    assert authenticate(None, username="gone", password=PASSWORD) is None
