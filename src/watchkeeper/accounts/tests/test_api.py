"""The accounts API: authentication, permissions, happy paths, bad input to every endpoint."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import ApiToken, SupportGroup, User
from watchkeeper.core.history import history_of

API = "/api/v1"


def _body(response) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.loads(response.content)


def _error(response, status: int) -> str:
    """The ``detail`` of an error answer, after checking its status and shape."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = _body(response)
    assert isinstance(body.get("detail"), str), body
    assert body["detail"]
    return body["detail"]


def _send(client: Client, method: str, path: str, body: Any = None):
    if body is None:
        return getattr(client, method)(path)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(path, data=data, content_type="application/json")


@pytest.fixture
def admin_api(admin_user, api_client) -> Client:
    return api_client(admin_user)


# --- authentication -------------------------------------------------------------------------


def test_me_with_a_token(make_user, api_client):
    # given an agent with a read token
    user = make_user("agent1", Role.AGENT, first_name="Ann")
    client = api_client(user, scope="read")

    # when they ask who they are
    response = client.get(f"{API}/me")

    # then they get their name, roles, permissions and the token's scope
    assert response.status_code == 200
    body = _body(response)
    assert body["username"] == "agent1"
    assert body["first_name"] == "Ann"
    assert body["roles"] == ["agent"]
    assert "core.use_workspace" in body["permissions"]
    assert "accounts.manage_users" not in body["permissions"]
    assert body["token_scope"] == "read"


def test_me_of_an_administrator_lists_every_permission(admin_api):
    # when an administrator asks who they are
    body = _body(admin_api.get(f"{API}/me"))

    # then their permissions include managing users
    assert {"accounts.manage_users", "core.verify_audit_trail"} <= set(body["permissions"])


def test_me_with_a_session_has_no_token_scope(make_user):
    # given a user logged in through the browser
    user = make_user("browser")
    client = Client()
    client.force_login(user)

    # when they ask who they are
    body = _body(client.get(f"{API}/me"))

    # then it is them, without a token scope
    assert (body["username"], body["token_scope"]) == ("browser", None)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer wk_nope_nope",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer " + "x" * 5000,
    ],
)
def test_me_without_valid_credentials_is_401(db, header):
    # given a client with missing or bad credentials
    client = Client(headers={"Authorization": header} if header else {})

    # when it calls the API
    response = client.get(f"{API}/me")

    # then it is told to authenticate, in the error format
    _error(response, 401)


def test_a_revoked_token_is_401(make_user):
    # given a revoked token
    user = make_user()
    token, secret = actions.create_token(user, name="old", scope="write", acting_user=user)
    actions.revoke_token(token, acting_user=user)

    # when it is used
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get(f"{API}/me")

    # then it is refused, saying why
    assert "revoked" in _error(response, 401)


def test_an_expired_token_is_401(make_user):
    # given a token whose expiry has passed
    user = make_user()
    token, secret = actions.create_token(
        user, name="short", scope="write", expires_in_days=1, acting_user=user
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))

    # when it is used
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get(f"{API}/me")

    # then it is refused
    assert "expired" in _error(response, 401)


def test_the_token_of_a_deactivated_user_is_401(make_user, admin_user, api_client):
    # given a token of a user who was then deactivated
    user = make_user()
    client = api_client(user)
    actions.update_user(user, acting_user=admin_user, is_active=False)

    # when it is used
    # then it is refused
    _error(client.get(f"{API}/me"), 401)


def test_a_read_token_cannot_write(admin_user, api_client):
    # given an administrator's read-only token
    client = api_client(admin_user, scope="read")

    # when it tries to create a user
    response = _send(client, "post", f"{API}/users", {"username": "viaread"})

    # then it is forbidden, saying the scope is the reason, and nothing was created
    assert "read scope" in _error(response, 403)
    assert not User.objects.filter(username="viaread").exists()
    # while reading works
    assert client.get(f"{API}/users").status_code == 200


def test_a_session_write_without_csrf_token_is_refused(admin_user):
    # given an administrator logged in through the browser, with CSRF checks on
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    # when they post to the API without the CSRF token
    response = _send(client, "post", f"{API}/users", {"username": "csrfless"})

    # then it is refused and nothing was created
    assert "CSRF" in _error(response, 403)
    assert not User.objects.filter(username="csrfless").exists()


def test_a_session_write_with_the_csrf_token_works(admin_user):
    # given an administrator logged in through the browser, with a CSRF cookie
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    token = "a" * 32
    client.cookies["csrftoken"] = token

    # when they post with the token in the header
    response = client.post(
        f"{API}/users",
        data=json.dumps({"username": "withcsrf"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    # then it works
    assert response.status_code == 201, response.content
    assert User.objects.filter(username="withcsrf").exists()


def test_a_token_needs_no_csrf_token(admin_user, api_client):
    # given a token client that enforces CSRF checks
    client = api_client(admin_user)
    client.handler.enforce_csrf_checks = True

    # when it posts
    response = _send(client, "post", f"{API}/users", {"username": "bytoken"})

    # then it works: tokens are not ambient credentials
    assert response.status_code == 201, response.content


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/users", None),
        ("post", "/users", {"username": "x"}),
        ("get", "/users/admin", None),
        ("patch", "/users/admin", {"job_title": "x"}),
        ("put", "/users/admin/roles", {"roles": ["requester"]}),
        ("get", "/groups", None),
        ("post", "/groups", {"name": "x"}),
        ("get", "/groups/{group}", None),
        ("patch", "/groups/{group}", {"name": "y"}),
        ("put", "/groups/{group}/members", {"members": []}),
    ],
)
def test_a_requester_is_forbidden_the_directory(
    make_user, make_group, admin_user, api_client, method, path, body
):
    # given a requester with a write token, and a group
    group = make_group("Desk")
    client = api_client(make_user("req"))

    # when they call an endpoint for staff or administrators
    response = _send(client, method, API + path.format(group=group.pk), body)

    # then it is forbidden (not a server error), naming the permission
    assert "accounts." in _error(response, 403)
    assert User.objects.get(username="admin").job_title == ""
    assert SupportGroup.objects.get(pk=group.pk).name == "Desk"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/users", {"username": "x"}),
        ("patch", "/users/admin", {"job_title": "x"}),
        ("put", "/users/admin/roles", {"roles": ["requester"]}),
        ("post", "/groups", {"name": "x"}),
    ],
)
def test_an_agent_reads_but_does_not_manage(make_user, api_client, admin_user, method, path, body):
    # given an agent
    client = api_client(make_user("agent", Role.AGENT))

    # when they try to manage users or groups
    response = _send(client, method, API + path, body)

    # then it is forbidden; reading the directory is fine
    _error(response, 403)
    assert client.get(f"{API}/users").status_code == 200
    assert client.get(f"{API}/users/admin").status_code == 200


# --- the happy paths ------------------------------------------------------------------------


def test_admin_creates_a_user(admin_api, make_user):
    # given a manager-to-be
    make_user("boss")

    # when the administrator creates a user
    response = _send(
        admin_api,
        "post",
        f"{API}/users",
        {
            "username": "api.user",
            "email": "api.user@example.org",
            "first_name": "Api",
            "job_title": "Resolver",
            "roles": ["agent", "resolver"],
            "password": "a long enough passphrase 1",
        },
    )

    # then it is created and returned, with its history saying it came through the API
    assert response.status_code == 201, response.content
    body = _body(response)
    assert body["username"] == "api.user"
    assert body["roles"] == ["agent", "resolver"]
    assert body["groups"] == []
    user = User.objects.get(username="api.user")
    assert user.check_password("a long enough passphrase 1")
    entry = history_of(user).get()
    assert (entry.channel, entry.actor_label) == ("api", "admin")


def test_admin_lists_users_with_filters_and_pages(admin_api, make_user, make_group):
    # given some users
    agent = make_user("zed", Role.AGENT, job_title="Network engineer")
    make_user("yan", Role.AGENT, job_title="Printer person")
    make_user("xia", is_active=False)
    group = make_group("Net", members=(agent,))

    # when the administrator lists, searches and filters them
    everyone = _body(admin_api.get(f"{API}/users"))
    by_words = _body(admin_api.get(f"{API}/users", {"q": "network"}))
    by_prefix = _body(admin_api.get(f"{API}/users", {"q": "netw eng"}))
    agents = _body(admin_api.get(f"{API}/users", {"role": "agent"}))
    in_group = _body(admin_api.get(f"{API}/users", {"group": group.pk}))
    inactive = _body(admin_api.get(f"{API}/users", {"is_active": "false"}))
    page = _body(admin_api.get(f"{API}/users", {"limit": 2, "offset": 1}))
    agents_searched = _body(admin_api.get(f"{API}/users", {"role": "agent", "q": "printer"}))

    # then each answer has the total and the items asked for
    assert everyone["count"] == 4
    assert [u["username"] for u in everyone["items"]] == ["admin", "xia", "yan", "zed"]
    assert [u["username"] for u in by_words["items"]] == ["zed"]
    assert [u["username"] for u in by_prefix["items"]] == ["zed"]
    assert [u["username"] for u in agents["items"]] == ["yan", "zed"]
    assert [u["username"] for u in in_group["items"]] == ["zed"]
    assert in_group["items"][0]["groups"] == [{"id": group.pk, "name": "Net"}]
    assert [u["username"] for u in inactive["items"]] == ["xia"]
    assert (page["count"], [u["username"] for u in page["items"]]) == (4, ["xia", "yan"])
    assert agents_searched["count"] == 1


def test_the_limit_is_capped(admin_api, make_user):
    # given more users than a page of one
    make_user()

    # when the largest allowed page is asked for
    response = admin_api.get(f"{API}/users", {"limit": 500})

    # then it is answered
    assert _body(response)["count"] == 2


def test_admin_gets_and_patches_a_user(admin_api, make_user):
    # given a user and a manager
    make_user("worker", job_title="Clerk")
    make_user("chief")

    # when the administrator reads, then changes them
    got = _body(admin_api.get(f"{API}/users/worker"))
    response = _send(
        admin_api,
        "patch",
        f"{API}/users/worker",
        {"job_title": "Engineer", "manager": "chief", "phone": "+41 1"},
    )

    # then the changes are stored, and unmentioned fields are kept
    assert got["job_title"] == "Clerk"
    assert response.status_code == 200, response.content
    body = _body(response)
    assert (body["job_title"], body["manager"], body["phone"]) == ("Engineer", "chief", "+41 1")
    assert body["email"] == "worker@example.org"
    # and clearing the manager with null works
    cleared = _body(_send(admin_api, "patch", f"{API}/users/worker", {"manager": None}))
    assert cleared["manager"] is None


def test_admin_sets_roles(admin_api, make_user):
    # given a requester
    make_user("riser")

    # when the administrator gives them two roles
    response = _send(admin_api, "put", f"{API}/users/riser/roles", {"roles": ["resolver", "agent"]})

    # then they hold them
    assert response.status_code == 200, response.content
    assert _body(response)["roles"] == ["agent", "resolver"]


def test_admin_cannot_drop_their_own_admin_role_through_the_api(admin_api):
    # when the administrator removes their own administrator role
    response = _send(admin_api, "put", f"{API}/users/admin/roles", {"roles": ["agent"]})

    # then it is refused, naming the field
    assert "roles" in _error(response, 400)


def test_admin_creates_a_group_and_sets_its_members(admin_api, make_user):
    # given two staff members
    make_user("lead", Role.AGENT)
    make_user("helper", Role.RESOLVER)

    # when the administrator creates a group and sets its members
    created = _send(
        admin_api,
        "post",
        f"{API}/groups",
        {"name": "Network", "description": "Switches", "manager": "lead"},
    )
    group_id = _body(created)["id"]
    members = _send(
        admin_api, "put", f"{API}/groups/{group_id}/members", {"members": ["lead", "helper"]}
    )
    patched = _send(admin_api, "patch", f"{API}/groups/{group_id}", {"description": "All of it"})

    # then the group has them, and the group reads back the same
    assert created.status_code == 201, created.content
    assert _body(created)["manager"] == "lead"
    assert members.status_code == 200, members.content
    assert sorted(_body(members)["members"]) == ["helper", "lead"]
    assert _body(patched)["description"] == "All of it"
    got = _body(admin_api.get(f"{API}/groups/{group_id}"))
    assert (got["name"], sorted(got["members"])) == ("Network", ["helper", "lead"])
    listed = _body(admin_api.get(f"{API}/groups", {"q": "netw"}))
    assert [g["name"] for g in listed["items"]] == ["Network"]


def test_own_tokens_are_created_listed_and_revoked(make_user, api_client):
    # given a requester with a write token
    user = make_user("owner")
    client = api_client(user)

    # when they create a token, list them and revoke the new one
    created = _send(
        client, "post", f"{API}/me/tokens", {"name": "cron", "scope": "read", "expires_in_days": 7}
    )
    new = _body(created)
    listed = _body(client.get(f"{API}/me/tokens"))
    revoked = client.delete(f"{API}/me/tokens/{new['id']}")

    # then the secret is shown once, works, and stops working when revoked
    assert created.status_code == 201, created.content
    assert new["token"].startswith(f"wk_{new['prefix']}_")
    assert "token" not in listed[0]
    assert {t["name"] for t in listed} == {"cron", "test"}
    assert revoked.status_code == 204
    assert ApiToken.objects.get(pk=new["id"]).state == "revoked"
    _error(Client(headers={"Authorization": f"Bearer {new['token']}"}).get(f"{API}/me"), 401)


def test_someone_elses_token_cannot_be_revoked(make_user, api_client):
    # given two users with tokens
    owner, other = make_user(), make_user()
    token, _ = actions.create_token(owner, name="mine", acting_user=owner)

    # when the other one revokes the owner's token
    response = api_client(other).delete(f"{API}/me/tokens/{token.pk}")

    # then it is not found for them, and stays active
    _error(response, 404)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


# --- bad input ------------------------------------------------------------------------------

BAD_INPUT = [
    # (method, path, body, status, words the detail must contain)
    ("post", "/users", "{not json", 400, "body"),
    ("post", "/users", "", 422, "body"),
    ("post", "/users", "[1, 2]", 422, "username"),
    ("post", "/users", '"a string"', 422, "username"),
    ("post", "/users", "null", 422, "username"),
    ("post", "/users", b"\xff\xfe\x00", 400, "body"),
    ("post", "/users", {}, 422, "username"),
    ("post", "/users", {"username": ""}, 422, "username"),
    ("post", "/users", {"username": "has space"}, 422, "username"),
    ("post", "/users", {"username": "x" * 151}, 422, "username"),
    ("post", "/users", {"username": 12}, 422, "username"),
    ("post", "/users", {"username": ["a"]}, 422, "username"),
    ("post", "/users", {"username": "ok", "roles": ["wizard"]}, 422, "roles"),
    ("post", "/users", {"username": "ok", "roles": "agent"}, 422, "roles"),
    ("post", "/users", {"username": "ok", "email": "nope"}, 422, "email"),
    ("post", "/users", {"username": "ok", "email": "a@b@c"}, 422, "email"),
    ("post", "/users", {"username": "ok", "first_name": "x" * 151}, 422, "first_name"),
    ("post", "/users", {"username": "ok", "phone": "1" * 41}, 422, "phone"),
    ("post", "/users", {"username": "ok", "job_title": None}, 422, "job_title"),
    ("post", "/users", {"username": "ok", "password": "short"}, 400, "password"),
    ("post", "/users", {"username": "ok", "password": 12345}, 422, "password"),
    ("post", "/users", {"username": "ok", "first_name": "nul\x00"}, 422, "first_name"),
    ("post", "/users", {"username": "ok", "password": "x" * 5000}, 422, "password"),
    ("get", "/users?q=nul%00", None, 422, "q"),
    ("get", "/groups?q=nul%00", None, 422, "q"),
    ("put", "/groups/{group}/members", {"members": ["a\x00"]}, 422, "members"),
    ("patch", "/groups/{group}", {"description": "\x00"}, 422, "description"),
    ("post", "/me/tokens", {"name": "t\x00"}, 422, "name"),
    ("post", "/users", {"username": "admin"}, 400, "username"),
    ("post", "/users", {"username": "ok", "email": "ADMIN@example.org"}, 400, "email"),
    ("patch", "/users/worker", "{", 400, "body"),
    ("patch", "/users/worker", {"manager": "nobody"}, 400, "manager"),
    ("patch", "/users/worker", {"manager": "worker"}, 400, "manager"),
    ("patch", "/users/worker", {"email": "bad"}, 422, "email"),
    ("patch", "/users/worker", {"email": "admin@example.org"}, 400, "email"),
    ("patch", "/users/worker", {"is_active": "maybe"}, 422, "is_active"),
    ("patch", "/users/worker", {"job_title": "x" * 121}, 422, "job_title"),
    ("patch", "/users/worker", {"phone": 5}, 422, "phone"),
    ("patch", "/users/admin", {"is_active": False}, 400, "is_active"),
    ("patch", "/users/nobody", {"job_title": "x"}, 404, "found"),
    ("get", "/users/nobody", None, 404, "found"),
    ("get", "/users/bad%20name", None, 404, "found"),
    ("get", "/users/nul%00name", None, 404, "found"),
    ("put", "/users/worker/roles", {}, 422, "roles"),
    ("put", "/users/worker/roles", {"roles": ["overlord"]}, 422, "roles"),
    ("put", "/users/worker/roles", {"roles": [None]}, 422, "roles"),
    ("put", "/users/nobody/roles", {"roles": ["agent"]}, 404, "found"),
    ("get", "/users?limit=-1", None, 422, "limit"),
    ("get", "/users?limit=0", None, 422, "limit"),
    ("get", "/users?limit=501", None, 422, "limit"),
    ("get", "/users?limit=99999999999999999999999", None, 422, "limit"),
    ("get", "/users?offset=-5", None, 422, "offset"),
    ("get", "/users?offset=99999999999999999999999", None, 422, "offset"),
    ("get", "/users?limit=abc", None, 422, "limit"),
    ("get", "/users?role=wizard", None, 422, "role"),
    ("get", "/users?group=abc", None, 422, "group"),
    ("get", "/users?group=99999999999999999999999", None, 422, "group"),
    ("get", "/users?is_active=perhaps", None, 422, "is_active"),
    ("get", "/groups?limit=-1", None, 422, "limit"),
    ("get", "/groups?offset=99999999999999999999999", None, 422, "offset"),
    ("get", "/groups/abc", None, 422, "group_id"),
    ("get", "/groups/99999999999999999999999", None, 404, "found"),
    ("get", "/groups/-1", None, 404, "found"),
    ("get", "/groups/999999", None, 404, "found"),
    ("post", "/groups", "]", 400, "body"),
    ("post", "/groups", {}, 422, "name"),
    ("post", "/groups", {"name": ""}, 422, "name"),
    ("post", "/groups", {"name": "x" * 101}, 422, "name"),
    ("post", "/groups", {"name": "Desk"}, 400, "name"),
    ("post", "/groups", {"name": "New", "email": "nope"}, 422, "email"),
    ("post", "/groups", {"name": "New", "manager": "nobody"}, 400, "manager"),
    ("post", "/groups", {"name": "New", "description": 5}, 422, "description"),
    ("patch", "/groups/{group}", {"name": ""}, 422, "name"),
    ("patch", "/groups/{group}", {"name": "Desk"}, 400, "name"),
    ("patch", "/groups/{group}", {"manager": "nobody"}, 400, "manager"),
    ("patch", "/groups/{group}", {"is_active": []}, 422, "is_active"),
    ("patch", "/groups/abc", {"name": "x"}, 422, "group_id"),
    ("patch", "/groups/999999", {"name": "x"}, 404, "found"),
    ("put", "/groups/{group}/members", {}, 422, "members"),
    ("put", "/groups/{group}/members", {"members": "worker"}, 422, "members"),
    ("put", "/groups/{group}/members", {"members": ["nobody"]}, 400, "members"),
    ("put", "/groups/{group}/members", {"members": ["worker"]}, 400, "members"),
    ("put", "/groups/999999/members", {"members": []}, 404, "found"),
    ("put", "/groups/abc/members", {"members": []}, 422, "group_id"),
    ("post", "/me/tokens", "{{", 400, "body"),
    ("post", "/me/tokens", {}, 422, "name"),
    ("post", "/me/tokens", {"name": ""}, 422, "name"),
    ("post", "/me/tokens", {"name": "   "}, 400, "name"),
    ("post", "/me/tokens", {"name": "x" * 101}, 422, "name"),
    ("post", "/me/tokens", {"name": "t", "scope": "admin"}, 422, "scope"),
    ("post", "/me/tokens", {"name": "t", "expires_in_days": 0}, 422, "expires_in_days"),
    ("post", "/me/tokens", {"name": "t", "expires_in_days": 3651}, 422, "expires_in_days"),
    ("post", "/me/tokens", {"name": "t", "expires_in_days": "soon"}, 422, "expires_in_days"),
    ("post", "/me/tokens", {"name": "t", "expires_in_days": 1.5}, 422, "expires_in_days"),
    ("delete", "/me/tokens/abc", None, 422, "token_id"),
    ("delete", "/me/tokens/999999", None, 404, "found"),
    ("delete", "/me/tokens/99999999999999999999999", None, 404, "found"),
    ("get", "/no/such/endpoint", None, 404, "no page"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    BAD_INPUT,
    ids=[f"{m} {p} {str(b)[:30]}" for m, p, b, _, _ in BAD_INPUT],
)
def test_bad_input_is_a_4xx_naming_the_field(
    admin_api, make_user, make_group, method, path, body, status, words
):
    # given users and groups the requests refer to
    make_user("worker")
    make_group("Desk")
    group = make_group("Other")
    before = (User.objects.count(), SupportGroup.objects.count(), ApiToken.objects.count())

    # when a bad request is sent
    response = _send(admin_api, method, API + path.format(group=group.pk), body)

    # then it is refused with the status and a detail naming the field; nothing was written
    detail = _error(response, status)
    assert words.lower() in detail.lower(), detail
    after = (User.objects.count(), SupportGroup.objects.count(), ApiToken.objects.count())
    assert after == before


def test_a_schema_error_lists_every_problem(admin_api):
    # when a user is posted with two bad fields
    response = _send(admin_api, "post", f"{API}/users", {"username": "", "email": "bad"})

    # then the detail names both, and the errors list them one by one
    detail = _error(response, 422)
    assert detail.startswith("username: ")
    assert "email: Enter a valid e-mail address" in detail
    errors = _body(response)["errors"]
    assert len(errors) == 2
    assert all(isinstance(item["msg"], str) for item in errors)


def test_unknown_fields_are_ignored_not_applied(admin_api, make_user):
    # given a user
    make_user("plain")

    # when a patch tries to set fields the API does not offer
    response = _send(
        admin_api, "patch", f"{API}/users/plain", {"is_superuser": True, "username": "root"}
    )

    # then nothing changes
    assert response.status_code == 200, response.content
    user = User.objects.get(username="plain")
    assert user.is_superuser is False


# --- the documentation ----------------------------------------------------------------------


def test_openapi_document_names_every_operation(db):
    # when the OpenAPI document is fetched, without logging in
    response = Client().get(f"{API}/openapi.json")

    # then it is served, and every operation has a unique operationId
    assert response.status_code == 200
    document = _body(response)
    operations = [
        operation
        for path in document["paths"].values()
        for method, operation in path.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 14
    ids = [operation.get("operationId") for operation in operations]
    assert all(ids), ids
    assert len(set(ids)) == len(ids)
    assert document["info"]["title"] == "Watchkeeper API"
    schemes = document["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} >= {"http", "apiKey"}


def test_openapi_document_shows_the_paginated_shape(db):
    # when the OpenAPI document is fetched
    document = _body(Client().get(f"{API}/openapi.json"))

    # then the user list takes limit and offset
    parameters = {p["name"] for p in document["paths"][f"{API}/users"]["get"]["parameters"]}
    assert {"limit", "offset", "q", "role"} <= parameters


def test_api_docs_page_is_served(db):
    # when the interactive docs are fetched
    response = Client().get(f"{API}/docs")

    # then the page is there
    assert response.status_code == 200
    assert b"openapi.json" in response.content
