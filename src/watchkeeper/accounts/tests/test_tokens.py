"""API tokens: only a digest is stored, and only an active token of an active user is usable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from watchkeeper.accounts import actions
from watchkeeper.accounts.models import ApiToken, User
from watchkeeper.accounts.tokens import digest, find_usable, new_secret


def _token(user: User, **kwargs) -> tuple[ApiToken, str]:
    kwargs.setdefault("name", "script")
    return actions.create_token(user, acting_user=user, **kwargs)


def test_new_secret_has_the_documented_shape():
    # when two secrets are made
    first, second = new_secret(), new_secret()

    # then each is wk_<prefix>_<random> with its digest, and they differ
    token, prefix, token_digest = first
    assert token.startswith(f"wk_{prefix}_")
    assert len(token) > 40
    assert token_digest == digest(token)
    assert len(token_digest) == 64
    assert first[0] != second[0]
    assert first[1] != second[1]


def test_only_the_digest_of_the_secret_is_stored(make_user):
    # given a token just created
    user = make_user()
    token, secret = _token(user)

    # when every column of its row is read straight from the database
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()

    # then the secret is in none of them, only its digest
    assert all(secret not in str(value) for value in row)
    secret_part = secret.split("_", 2)[2]
    assert all(secret_part not in str(value) for value in row)
    assert digest(secret) in row


def test_find_usable_finds_an_active_token(make_user):
    # given an active token
    user = make_user()
    token, secret = _token(user, scope="write")

    # when it is looked up
    found = find_usable(secret)

    # then it is the token, with its user, and its use is noted
    assert found == token
    assert found is not None
    assert found.user == user
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),
        lambda s: s + "x",
        lambda s: s.replace("wk_", "xx_", 1),
        lambda s: s.split("_", 2)[0] + "_" + s.split("_", 2)[1],
        lambda s: "",
        lambda s: "wk__",
        lambda s: "wk_" + "z" * 12 + "_" + s.split("_", 2)[2],
        lambda s: s.upper(),
        lambda s: s + "\x00",
        lambda s: "wk_\x00" + s[3:],
        lambda s: "wk_" + "a" * 200 + "_" + s.split("_", 2)[2],
    ],
    ids=[
        "last-char",
        "longer",
        "start",
        "no-secret",
        "empty",
        "bare",
        "other-prefix",
        "upper",
        "nul",
        "nul-prefix",
        "long-prefix",
    ],
)
def test_find_usable_refuses_a_wrong_secret(make_user, mangle):
    # given an active token
    user = make_user()
    _, secret = _token(user)

    # when a changed secret is looked up
    found = find_usable(mangle(secret))

    # then nothing is found
    assert found is None


def test_find_usable_refuses_a_revoked_token(make_user):
    # given a revoked token
    user = make_user()
    token, secret = _token(user)
    actions.revoke_token(token, acting_user=user)

    # when it is looked up
    # then it is refused
    assert find_usable(secret) is None


def test_find_usable_refuses_an_expired_token(make_user):
    # given a token that expired a second ago
    user = make_user()
    token, secret = _token(user, expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    # when it is looked up
    # then it is refused, and its state says why
    assert find_usable(secret) is None
    assert ApiToken.objects.get(pk=token.pk).state == "expired"


def test_a_token_with_an_expiry_in_the_future_is_usable(make_user):
    # given a token that expires in 30 days
    user = make_user()
    token, secret = _token(user, expires_in_days=30)

    # when it is looked up
    found = find_usable(secret)

    # then it works, and expires when it said
    assert found == token
    assert token.expires_at is not None
    remaining = token.expires_at - timezone.now()
    assert dt.timedelta(days=29, hours=23) < remaining <= dt.timedelta(days=30)


def test_find_usable_refuses_the_token_of_an_inactive_user(make_user, admin_user):
    # given a token whose user was deactivated
    user = make_user()
    _, secret = _token(user)
    actions.update_user(user, acting_user=admin_user, is_active=False)

    # when it is looked up
    # then it is refused
    assert find_usable(secret) is None


def test_a_token_of_one_user_never_authenticates_another(make_user):
    # given tokens of two users
    first, second = make_user(), make_user()
    _, first_secret = _token(first)
    _, second_secret = _token(second)

    # when each is looked up
    # then each finds its own user
    found_first, found_second = find_usable(first_secret), find_usable(second_secret)
    assert found_first is not None
    assert found_second is not None
    assert (found_first.user, found_second.user) == (first, second)


def test_token_states(make_user):
    # given an active, a revoked and an expired token
    user = make_user()
    active, _ = _token(user, name="a")
    revoked, _ = _token(user, name="r")
    actions.revoke_token(revoked, acting_user=user)
    expired, _ = _token(user, name="e", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())

    # when their states are read
    states = {token.name: token.state for token in ApiToken.objects.all()}

    # then each says what it is
    assert states == {"a": "active", "r": "revoked", "e": "expired"}
    assert list(ApiToken.objects.usable()) == [active]
