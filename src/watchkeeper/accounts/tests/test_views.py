"""Login, lockout, the profile page (password, notifications, API tokens) and password reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import ApiToken, User
from watchkeeper.core.models import HistoryEntry

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "tangerine submarine 1987 lighthouse"
RESET_LINK = re.compile(r"https?://testserver(/password-reset/[^/\s]+/[^/\s]+/)")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def log_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password, **extra})


def page_of(response: Any) -> str:
    return str(response.content.decode())


def test_login_page_links_to_password_reset(db: None) -> None:
    # when
    page = page_of(Client().get("/login/"))

    # then
    assert '<a href="/password-reset/">Forgot your password?</a>' in page
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page


def test_login_lands_on_the_roles_home(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna", Role.AGENT)
    client = Client()

    # when
    response = log_in(client, "anna", PASSWORD)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "<h1>Service desk home</h1>" in page_of(client.get("/"))


def test_login_follows_the_next_address(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna")

    # when
    response = log_in(Client(), "anna", PASSWORD, next="/profile/")

    # then
    assert response["Location"] == "/profile/"


def test_logged_in_user_opening_login_goes_home(make_user: Callable[..., User]) -> None:
    # when
    response = logged_in(make_user()).get("/login/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_shows_an_error(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna")
    client = Client()

    # when
    response = log_in(client, "anna", "not the password")

    # then
    assert response.status_code == 200
    page = page_of(response)
    assert "Please enter a correct username and password." in page
    assert 'class="errorlist nonfield"' in page
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_passwords_lock_the_account(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna")
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        log_in(client, "anna", "not the password")

    # when
    last_failure = log_in(client, "anna", "not the password")
    right_password = log_in(client, "anna", PASSWORD)

    # then
    assert "Too many failed logins" in page_of(last_failure)
    assert right_password.status_code == 200
    assert "Too many failed logins" in page_of(right_password)
    assert f"locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes" in page_of(right_password)
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_clears_the_failures(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna")
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        log_in(Client(), "anna", "not the password")
    log_in(Client(), "anna", PASSWORD)

    # when
    response = log_in(Client(), "anna", "not the password")

    # then
    assert "Too many failed logins" not in page_of(response)


def test_profile_shows_details_roles_and_groups(
    make_user: Callable[..., User], make_group: Callable[..., Any]
) -> None:
    # given
    user = make_user("anna", Role.AGENT, Role.RESOLVER, job_title="Desk lead")
    make_group("Network", members=(user,))

    # when
    page = page_of(logged_in(user).get("/profile/"))

    # then
    assert '<h2 id="details-heading">Your details</h2>' in page
    assert "Desk lead" in page
    assert '<li class="badge">Service desk agent</li>' in page
    assert '<li class="badge">Resolver</li>' in page
    assert '<li class="badge">Network</li>' in page


def test_profile_forms_post_to_their_own_addresses(make_user: Callable[..., User]) -> None:
    # when
    page = page_of(logged_in(make_user()).get("/profile/"))

    # then
    assert 'action="/profile/password/"' in page
    assert 'action="/profile/notifications/"' in page
    assert 'action="/profile/tokens/"' in page


def test_creating_a_token_shows_its_secret_once(make_user: Callable[..., User]) -> None:
    # given
    user = make_user("anna", Role.AGENT)
    client = logged_in(user)

    # when
    created = client.post(
        "/profile/tokens/", {"name": "backup script", "scope": "write", "expires_in_days": "30"}
    )
    later = client.get("/profile/")

    # then
    token = ApiToken.objects.get(user=user)
    secret = created.context["new_token"]["secret"]
    assert secret.startswith(f"wk_{token.prefix}_")
    assert secret in page_of(created)
    assert "shown only this once" in page_of(created)
    assert 'curl -H "Authorization: Bearer &lt;token&gt;" http://testserver/api/v1/me' in (
        page_of(created)
    )
    assert "no-store" in created["Cache-Control"]
    assert secret not in page_of(later)
    assert f"wk_{token.prefix}_…" in page_of(later)
    assert token.scope == "write"


def test_a_new_token_works_on_the_api(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user("anna", Role.AGENT))
    created = client.post("/profile/tokens/", {"name": "ci", "scope": "read"})
    secret = created.context["new_token"]["secret"]

    # when
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})

    # then
    assert response.status_code == 200
    assert response.json()["username"] == "anna"
    assert response.json()["roles"] == ["agent"]


def test_token_without_a_name_shows_the_error_beside_the_field(
    make_user: Callable[..., User],
) -> None:
    # given
    client = logged_in(make_user())

    # when
    response = client.post("/profile/tokens/", {"name": "", "scope": "read"})

    # then
    assert response.status_code == 400
    page = page_of(response)
    assert '<ul class="errorlist" id="id_name_error">' in page
    assert re.search(r'<input[^>]*aria-describedby="id_name_helptext id_name_error"', page)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_name"', page)
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_shown_revoked_and_stops_working(
    make_user: Callable[..., User], make_token: Callable[..., str]
) -> None:
    # given
    user = make_user("anna")
    secret = make_token(user, name="old script")
    token = ApiToken.objects.get(user=user)
    client = logged_in(user)

    # when
    response = client.post(f"/profile/tokens/{token.pk}/revoke/", follow=True)

    # then
    page = page_of(response)
    assert "The token &#x27;old script&#x27; was revoked." in page
    assert '<span class="badge badge--revoked">Revoked</span>' in page
    assert f'action="/profile/tokens/{token.pk}/revoke/"' not in page
    api = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_active_tokens_have_a_revoke_button(
    make_user: Callable[..., User], make_token: Callable[..., str]
) -> None:
    # given
    user = make_user("anna")
    make_token(user, name="nightly export")
    token = ApiToken.objects.get(user=user)

    # when
    page = page_of(logged_in(user).get("/profile/"))

    # then
    assert f'action="/profile/tokens/{token.pk}/revoke/"' in page
    assert '<span class="visually-hidden"> token nightly export</span>' in page
    assert '<span class="badge badge--active">Active</span>' in page


def test_nobody_revokes_another_users_token(
    make_user: Callable[..., User], make_token: Callable[..., str]
) -> None:
    # given
    owner = make_user("owner")
    make_token(owner)
    token = ApiToken.objects.get(user=owner)
    client = logged_in(make_user("mallory"))

    # when
    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    # then
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_wrong_old_password_shows_the_error_beside_the_field(
    make_user: Callable[..., User],
) -> None:
    # given
    user = make_user("anna")
    client = logged_in(user)

    # when
    response = client.post(
        "/profile/password/",
        {
            "old_password": "not the password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    # then
    assert response.status_code == 400
    page = page_of(response)
    error = re.search(r'<ul class="errorlist" id="id_old_password_error">(.*?)</ul>', page)
    assert error is not None
    assert "The current password is not correct." in error.group(1)
    assert "Nothing was saved: correct the fields marked below." in page
    assert re.search(r'<input[^>]*aria-describedby="id_old_password_error"', page)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_new_passwords_that_differ_are_refused(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user("anna"))

    # when
    response = client.post(
        "/profile/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "other"},
    )

    # then
    assert response.status_code == 400
    assert 'id="id_new_password_again_error"' in page_of(response)


def test_a_weak_new_password_is_refused_beside_the_field(make_user: Callable[..., User]) -> None:
    # given
    client = logged_in(make_user("anna"))

    # when
    response = client.post(
        "/profile/password/",
        {"old_password": PASSWORD, "new_password": "short", "new_password_again": "short"},
    )

    # then
    assert response.status_code == 400
    error = re.search(r'id="id_new_password_error">(.*?)</ul>', page_of(response))
    assert error is not None
    assert "too short" in error.group(1)


def test_changing_the_password_keeps_the_session_and_sends_an_email(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    user = make_user("anna")
    client = logged_in(user)
    data = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/profile/password/", {**data, "new_password_again": NEW_PASSWORD}, follow=True
        )

    # then
    assert "Your password was changed." in page_of(response)
    assert client.get("/profile/").status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Watchkeeper] Your Watchkeeper password was changed"
    assert 'Watchkeeper account "anna" was changed.' in mail.outbox[0].body


def test_notification_preferences_save(make_user: Callable[..., User]) -> None:
    # given
    user = make_user("anna")
    client = logged_in(user)

    # when
    response = client.post("/profile/notifications/", {}, follow=True)

    # then
    assert "Your notification preferences were saved." in page_of(response)
    user.refresh_from_db()
    assert user.notify_by_email is False
    assert HistoryEntry.objects.filter(action="preferences_changed").count() == 1


def test_notification_preferences_show_the_current_choice(make_user: Callable[..., User]) -> None:
    # given
    user = make_user("anna")
    client = logged_in(user)
    client.post("/profile/notifications/", {})

    # when
    turned_off = page_of(client.get("/profile/"))
    client.post("/profile/notifications/", {"notify_by_email": "on"})
    turned_on = page_of(client.get("/profile/"))

    # then
    assert 'name="notify_by_email" id="id_notify_by_email"' in turned_off
    assert 'name="notify_by_email" id="id_notify_by_email" checked' in turned_on
    assert "Account security" in turned_on


def test_password_reset_sends_a_working_link(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    user = make_user("anna", email="anna@example.org")
    client = Client()

    # when
    sent = client.post("/password-reset/", {"email": "Anna@Example.org"})
    link = RESET_LINK.search(mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            follow=True,
        )

    # then
    assert sent["Location"] == "/password-reset/sent/"
    assert mail.outbox[0].subject == "Reset your Watchkeeper password"
    assert mail.outbox[0].to == ["anna@example.org"]
    assert "<h1>Choose a new password</h1>" in page_of(form)
    assert "<h1>Your password was changed</h1>" in page_of(done)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert HistoryEntry.objects.filter(action="password_changed").count() == 1
    assert mail.outbox[-1].subject == "[Watchkeeper] Your Watchkeeper password was changed"
    assert log_in(Client(), "anna", NEW_PASSWORD).status_code == 302


def test_a_used_reset_link_no_longer_works(make_user: Callable[..., User]) -> None:
    # given
    make_user("anna", email="anna@example.org")
    client = Client()
    client.post("/password-reset/", {"email": "anna@example.org"})
    link = RESET_LINK.search(mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    passwords = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post(form.redirect_chain[-1][0], passwords)

    # when
    again = Client().get(link.group(1), follow=True)

    # then
    assert "This link no longer works" in page_of(again)


def test_password_reset_reaches_accounts_created_without_a_password(db: None) -> None:
    # given
    actions.create_user(username="newbie", email="newbie@example.org", acting_user=None)

    # when
    Client().post("/password-reset/", {"email": "newbie@example.org"})

    # then
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.org"]


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    db: None,
) -> None:
    # when
    response = Client().post("/password-reset/", {"email": "nobody@example.org"}, follow=True)

    # then
    assert "<h1>Check your e-mail</h1>" in page_of(response)
    assert mail.outbox == []


def test_token_created_email_names_the_token_but_not_its_secret(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    client = logged_in(make_user("anna"))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/profile/tokens/", {"name": "deploy & sync", "scope": "read"})

    # then
    secret = created.context["new_token"]["secret"]
    body = mail.outbox[0].body
    assert "Name:    deploy & sync" in body
    assert "Scope:   Read only" in body
    assert secret not in body
    assert "http://127.0.0.1:8000/profile/" in body or f"{settings.BASE_URL}/profile/" in body


@pytest.mark.parametrize(
    "url",
    ["/login/", "/password-reset/", "/password-reset/sent/", "/password-reset/done/"],
)
def test_public_account_pages_render(db: None, url: str) -> None:
    # when
    response = Client().get(url)

    # then
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
