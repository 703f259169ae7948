"""Writes to users, roles, passwords, preferences, tokens and groups: permission, rules, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import ApiToken, RoleGrant, SupportGroup, User
from watchkeeper.core.history import history_of, verify_history

OLD = "correct horse battery staple 42"
NEW = "a fresh passphrase for 2026"


def _actions_of(obj) -> list[str]:
    return list(history_of(obj).values_list("action", flat=True))


def test_create_user_writes_the_user_roles_and_history(admin_user):
    # given an administrator
    # when they create a user with two roles
    user = actions.create_user(
        username="new.agent",
        email="new.agent@example.org",
        password=NEW,
        roles=[Role.AGENT, Role.RESOLVER],
        acting_user=admin_user,
        channel="api",
        first_name="New",
        job_title="Agent",
    )

    # then the user exists with those roles and a usable password
    stored = User.objects.get(username="new.agent")
    assert stored.roles == {Role.AGENT, Role.RESOLVER}
    assert stored.check_password(NEW)
    assert stored.job_title == "Agent"
    assert stored.is_staff is False
    # and one history entry says who created it, how, with which values
    (entry,) = history_of(user)
    assert (entry.action, entry.actor_id, entry.channel) == ("created", admin_user.pk, "api")
    assert entry.changes["username"] == {"old": None, "new": "new.agent"}
    assert entry.changes["roles"] == {"old": None, "new": ["agent", "resolver"]}
    assert entry.changes["job_title"] == {"old": None, "new": "Agent"}
    assert "password" not in entry.changes
    assert verify_history() == []


def test_create_user_without_password_cannot_log_in_until_reset(admin_user):
    # when a user is created without a password
    user = actions.create_user(username="nopass", acting_user=admin_user)

    # then their password is unusable and they are a requester
    assert not user.has_usable_password()
    assert user.roles == {Role.REQUESTER}


def test_an_administrator_is_django_staff(admin_user):
    # when an administrator is created
    user = actions.create_user(username="boss", roles=[Role.ADMINISTRATOR], acting_user=admin_user)

    # then they may open the Django admin
    assert user.is_staff is True


def test_a_requester_cannot_manage_users(make_user):
    # given a requester and an agent
    requester = make_user("req")
    agent = make_user("agent", Role.AGENT)

    # when they try to create or change users
    # then they are refused, and nothing was written
    with pytest.raises(PermissionDenied):
        actions.create_user(username="sneaky", acting_user=requester)
    with pytest.raises(PermissionDenied):
        actions.update_user(agent, acting_user=agent, job_title="Boss")
    with pytest.raises(PermissionDenied):
        actions.set_roles(requester, [Role.ADMINISTRATOR], acting_user=requester)
    with pytest.raises(PermissionDenied):
        actions.change_password(agent, NEW, acting_user=requester)
    with pytest.raises(PermissionDenied):
        actions.create_group(name="Rogue", acting_user=agent)
    assert not User.objects.filter(username="sneaky").exists()
    assert requester.roles == {Role.REQUESTER}
    assert not SupportGroup.objects.filter(name="Rogue").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "bad name!"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "ok", "email": "not-an-address"}, "email"),
        ({"username": "ok", "phone": "1" * 41}, "phone"),
        ({"username": "ok", "roles": ["wizard"]}, "roles"),
        ({"username": "ok", "password": "short"}, "password"),
        ({"username": "ok", "password": "12345678901234"}, "password"),
    ],
)
def test_create_user_names_the_field_in_error(admin_user, fields, field):
    # when a user is created with a bad value
    with pytest.raises(ValidationError) as caught:
        actions.create_user(acting_user=admin_user, **fields)

    # then the error is keyed by that field, and nothing was written
    assert field in caught.value.message_dict
    assert not User.objects.exclude(pk=admin_user.pk).exists()


def test_a_taken_username_is_refused(make_user, admin_user):
    # given a user
    make_user("taken")

    # when another is created with the same name
    with pytest.raises(ValidationError) as caught:
        actions.create_user(username="taken", acting_user=admin_user)

    # then the username is named
    assert "username" in caught.value.message_dict


@pytest.mark.parametrize("email", ["shared@example.org", "SHARED@Example.org"])
def test_a_taken_e_mail_is_refused_whatever_its_case(make_user, admin_user, email):
    # given a user with an e-mail address
    make_user("first", email="shared@example.org")

    # when another user is created with the same address
    with pytest.raises(ValidationError) as caught:
        actions.create_user(username="second", email=email, acting_user=admin_user)

    # then the e-mail field is named
    assert caught.value.message_dict == {"email": ["Another user already has this e-mail address."]}


def test_many_users_may_have_no_e_mail(make_user):
    # when two users without e-mail are created
    first, second = make_user(email=""), make_user(email="")

    # then both exist
    assert first.pk != second.pk


def test_update_user_changes_fields_and_records_them(make_user, admin_user):
    # given a user
    user = make_user("worker", job_title="Clerk")
    manager = make_user("chief")

    # when an administrator changes their title and manager
    actions.update_user(user, acting_user=admin_user, job_title="Engineer", manager=manager)

    # then the change is stored and recorded with old and new values
    stored = User.objects.get(pk=user.pk)
    assert (stored.job_title, stored.manager_id) == ("Engineer", manager.pk)
    entry = history_of(user).last()
    assert entry is not None
    assert entry.action == "updated"
    assert entry.changes == {
        "job_title": {"old": "Clerk", "new": "Engineer"},
        "manager": {"old": None, "new": {"id": manager.pk, "label": "chief"}},
    }


def test_update_user_without_changes_writes_nothing(make_user, admin_user):
    # given a user
    user = make_user(job_title="Clerk")

    # when they are "updated" with the values they have
    actions.update_user(user, acting_user=admin_user, job_title="Clerk")

    # then no history entry was added
    assert _actions_of(user) == ["created"]


def test_update_user_refuses_fields_it_does_not_manage(make_user, admin_user):
    # given a user
    user = make_user()

    # when someone tries to make them a superuser through update_user
    with pytest.raises(ValidationError) as caught:
        actions.update_user(user, acting_user=admin_user, is_superuser=True)

    # then the field is named and nothing changed
    assert "is_superuser" in caught.value.message_dict
    assert User.objects.get(pk=user.pk).is_superuser is False


def test_update_user_refuses_a_taken_e_mail(make_user, admin_user):
    # given two users
    make_user(email="one@example.org")
    other = make_user(email="two@example.org")

    # when the second takes the first one's address
    with pytest.raises(ValidationError) as caught:
        actions.update_user(other, acting_user=admin_user, email="ONE@example.org")

    # then the e-mail field is named, and the stored address is unchanged
    assert "email" in caught.value.message_dict
    assert User.objects.get(pk=other.pk).email == "two@example.org"


def test_a_user_cannot_be_their_own_manager(make_user, admin_user):
    # given a user
    user = make_user()

    # when they are made their own manager
    with pytest.raises(ValidationError) as caught:
        actions.update_user(user, acting_user=admin_user, manager=user)

    # then the manager field is named
    assert "manager" in caught.value.message_dict
    assert User.objects.get(pk=user.pk).manager_id is None


def test_an_administrator_cannot_deactivate_themself(admin_user):
    # when the administrator deactivates their own account
    with pytest.raises(ValidationError) as caught:
        actions.update_user(admin_user, acting_user=admin_user, is_active=False)

    # then it is refused
    assert "is_active" in caught.value.message_dict
    assert User.objects.get(pk=admin_user.pk).is_active is True


def test_set_roles_replaces_the_roles_and_records_them(make_user, admin_user):
    # given a requester
    user = make_user("promoted")

    # when an administrator makes them an agent and an auditor
    actions.set_roles(user, [Role.AUDITOR, Role.AGENT], acting_user=admin_user)

    # then they hold exactly those roles, and the change is recorded
    assert set(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == {
        "agent",
        "auditor",
    }
    assert user.roles == {Role.AGENT, Role.AUDITOR}
    entry = history_of(user).last()
    assert entry is not None
    assert entry.changes == {"roles": {"old": ["requester"], "new": ["agent", "auditor"]}}


def test_set_roles_cannot_remove_your_own_administrator_role(admin_user):
    # when the administrator drops their own administrator role
    with pytest.raises(ValidationError) as caught:
        actions.set_roles(admin_user, [Role.AGENT], acting_user=admin_user)

    # then it is refused and they are still an administrator
    assert "roles" in caught.value.message_dict
    admin_user.forget_roles()
    assert Role.ADMINISTRATOR in admin_user.roles


def test_set_roles_keeps_django_staff_in_step(make_user, admin_user):
    # given an agent
    user = make_user("rising", Role.AGENT)

    # when they become an administrator, then stop being one
    actions.set_roles(user, [Role.ADMINISTRATOR], acting_user=admin_user)
    promoted = User.objects.get(pk=user.pk).is_staff
    actions.set_roles(user, [Role.AGENT], acting_user=admin_user)

    # then the admin-site flag followed
    assert promoted is True
    assert User.objects.get(pk=user.pk).is_staff is False


def test_set_roles_refuses_an_unknown_role(make_user, admin_user):
    # given a user
    user = make_user()

    # when given a role that does not exist
    with pytest.raises(ValidationError) as caught:
        actions.set_roles(user, ["overlord"], acting_user=admin_user)

    # then the roles field is named and the roles are unchanged
    assert "overlord" in caught.value.message_dict["roles"][0]
    assert user.roles == {Role.REQUESTER}


def test_change_password_by_the_user_needs_the_old_one(make_user):
    # given a user
    user = make_user("self")

    # when they change their password with a wrong old one
    with pytest.raises(ValidationError) as caught:
        actions.change_password(user, NEW, old_password="wrong", acting_user=user)

    # then it is refused, naming the field, and the old password still works
    assert "old_password" in caught.value.message_dict
    assert User.objects.get(pk=user.pk).check_password(OLD)


def test_change_password_by_the_user_with_the_old_one(make_user):
    # given a user
    user = make_user("self")

    # when they give the right old password
    actions.change_password(user, NEW, old_password=OLD, acting_user=user)

    # then the new one works and the change is recorded, without the password itself
    stored = User.objects.get(pk=user.pk)
    assert stored.check_password(NEW)
    entry = history_of(user).last()
    assert entry is not None
    assert (entry.action, entry.actor_id, entry.changes) == ("password_changed", user.pk, {})


def test_an_administrator_sets_a_password_without_the_old_one(make_user, admin_user):
    # given a user
    user = make_user()

    # when an administrator sets a new password
    actions.change_password(user, NEW, acting_user=admin_user)

    # then it works
    assert User.objects.get(pk=user.pk).check_password(NEW)


def test_a_weak_new_password_is_refused_naming_the_field(make_user):
    # given a user
    user = make_user("weak")

    # when they choose a short, common password
    with pytest.raises(ValidationError) as caught:
        actions.change_password(user, "password", old_password=OLD, acting_user=user)

    # then the new password is named, and the old password still works
    assert "new_password" in caught.value.message_dict
    assert User.objects.get(pk=user.pk).check_password(OLD)


def test_notification_preferences_are_the_users_own(make_user):
    # given two users
    user, other = make_user(), make_user()

    # when one changes the other's preferences
    with pytest.raises(PermissionDenied):
        actions.update_notification_settings(
            other, notify_by_email=False, kinds={}, acting_user=user
        )

    # then they are unchanged
    assert User.objects.get(pk=other.pk).notify_by_email is True


def test_notification_preferences_are_saved_and_recorded(make_user):
    # given a user
    user = make_user()

    # when they turn e-mail off
    actions.update_notification_settings(
        user, notify_by_email=False, kinds={"account_security": True}, acting_user=user
    )

    # then it is stored and recorded
    stored = User.objects.get(pk=user.pk)
    assert stored.notify_by_email is False
    assert _actions_of(user) == ["created", "preferences_changed"]


def test_notification_preferences_refuse_unknown_kinds(make_user):
    # given a user
    user = make_user()

    # when they save a preference for a kind that does not exist
    with pytest.raises(ValidationError) as caught:
        actions.update_notification_settings(
            user, notify_by_email=True, kinds={"no_such_kind": True}, acting_user=user
        )

    # then it is refused
    assert "no_such_kind" in str(caught.value)
    assert User.objects.get(pk=user.pk).notification_settings == {}


def test_create_token_records_it_and_keeps_only_a_digest(make_user):
    # given a user
    user = make_user()

    # when they create a token
    token, secret = actions.create_token(
        user, name="backup script", scope="write", expires_in_days=30, acting_user=user
    )

    # then the token is stored without its secret, and its creation is recorded
    assert secret.startswith(f"wk_{token.prefix}_")
    assert secret not in {token.digest, token.prefix, token.name}
    assert _actions_of(token) == ["created"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 3651}, "expires_in_days"),
    ],
)
def test_create_token_names_the_bad_field(make_user, kwargs, field):
    # given a user
    user = make_user()

    # when a token is created with a bad value
    with pytest.raises(ValidationError) as caught:
        actions.create_token(user, acting_user=user, **kwargs)

    # then the field is named and no token exists
    assert field in caught.value.message_dict
    assert not ApiToken.objects.exists()


def test_tokens_of_others_need_the_manage_users_permission(make_user, admin_user):
    # given two requesters
    user, other = make_user(), make_user()

    # when one creates a token for the other
    with pytest.raises(PermissionDenied):
        actions.create_token(other, name="sneaky", acting_user=user)

    # then nothing exists; an administrator may, though
    assert not ApiToken.objects.exists()
    token, _ = actions.create_token(other, name="for other", acting_user=admin_user)
    assert token.user_id == other.pk


def test_revoke_token_is_recorded_once(make_user):
    # given a token
    user = make_user()
    token, _ = actions.create_token(user, name="t", acting_user=user)

    # when it is revoked twice
    actions.revoke_token(token, acting_user=user)
    actions.revoke_token(token, acting_user=user)

    # then it is revoked, with one history entry for it
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _actions_of(token) == ["created", "revoked"]


def test_someone_elses_token_cannot_be_revoked_by_a_requester(make_user):
    # given a token of one user
    owner, other = make_user(), make_user()
    token, _ = actions.create_token(owner, name="t", acting_user=owner)

    # when another requester revokes it
    with pytest.raises(PermissionDenied):
        actions.revoke_token(token, acting_user=other)

    # then it stays active
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_create_and_update_group_are_recorded(admin_user, make_user):
    # given an administrator and a future manager
    lead = make_user("lead", Role.AGENT)

    # when a group is created and then renamed
    group = actions.create_group(
        name="Network", description="Switches", acting_user=admin_user, manager=lead
    )
    actions.update_group(group, acting_user=admin_user, name="Networks")

    # then both are recorded
    assert SupportGroup.objects.get(pk=group.pk).name == "Networks"
    assert _actions_of(group) == ["created", "updated"]
    assert history_of(group).last().changes == {"name": {"old": "Network", "new": "Networks"}}


def test_a_group_name_is_unique(make_group, admin_user):
    # given a group
    make_group("Service desk")

    # when another is created with that name
    with pytest.raises(ValidationError) as caught:
        actions.create_group(name="Service desk", acting_user=admin_user)

    # then the name is named
    assert "name" in caught.value.message_dict


def test_set_members_takes_staff_only(make_group, make_user, admin_user):
    # given a group, an agent and a requester
    group = make_group()
    agent = make_user("agent", Role.AGENT)
    requester = make_user("req")

    # when the requester is made a member
    with pytest.raises(ValidationError) as caught:
        actions.set_members(group, [agent, requester], acting_user=admin_user)

    # then it is refused naming the field and the user, and nobody was added
    assert "req" in caught.value.message_dict["members"][0]
    assert list(group.members.all()) == []


def test_set_members_replaces_members_and_records_names(make_group, make_user, admin_user):
    # given a group with one member
    first, second = make_user("first", Role.AGENT), make_user("second", Role.RESOLVER)
    group = make_group(members=(first,))

    # when its members are replaced, then set to the same again
    actions.set_members(group, [second], acting_user=admin_user)
    actions.set_members(group, [second], acting_user=admin_user)

    # then only the new member remains, and one change was recorded
    assert list(group.members.all()) == [second]
    assert _actions_of(group) == ["created", "members_changed", "members_changed"]
    assert history_of(group).last().changes == {"members": {"old": ["first"], "new": ["second"]}}


def test_every_action_leaves_a_verifiable_history(make_user, make_group, admin_user):
    # given a mix of writes through every action
    user = make_user("mixed", Role.AGENT)
    actions.update_user(user, acting_user=admin_user, phone="123")
    actions.set_roles(user, [Role.RESOLVER], acting_user=admin_user)
    actions.change_password(user, NEW, acting_user=admin_user)
    token, _ = actions.create_token(user, name="t", acting_user=user)
    actions.revoke_token(token, acting_user=user)
    group = make_group(members=(user,))
    actions.update_group(group, acting_user=admin_user, description="d")

    # when the history is verified
    problems = verify_history()

    # then every chain is intact
    assert problems == []
