"""Every write to users, roles, support groups and API tokens.

Each action checks the permission, changes the rows in one transaction, appends the history entry
in that same transaction and queues side effects (notifications, search index) on commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from watchkeeper.accounts.choices import STAFF_ROLES, Role, TokenScope
from watchkeeper.accounts.models import ApiToken, RoleGrant, SupportGroup, User
from watchkeeper.accounts.permissions import AccountsPermission
from watchkeeper.accounts.tokens import new_secret
from watchkeeper.core import search
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import diff, record_change
from watchkeeper.core.notifications import KINDS, notify
from watchkeeper.core.records import update_fields

USER_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "manager", "is_active")
GROUP_FIELDS = ("name", "description", "email", "manager", "is_active")
MAX_TOKEN_DAYS = 3650
EMAIL_TAKEN = "Another user already has this e-mail address."


def _user_text(user: User) -> str:
    return " ".join([user.username, user.get_full_name(), user.email, user.job_title])


def _group_text(group: SupportGroup) -> str:
    return f"{group.name} {group.description}"


def _check_password(password: str, user: User, field: str) -> None:
    """Django's password rules, with the failures reported on ``field``."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _clean_user(user: User) -> None:
    """Validate ``user`` with every problem on its field (the e-mail is unique in any case)."""
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    if user.email and User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists():
        errors.setdefault("email", []).append(EMAIL_TAKEN)
    if user.pk is not None and user.manager_id == user.pk:
        errors.setdefault("manager", []).append("A user cannot be their own manager.")
    if errors:
        raise ValidationError(errors)


def _check_roles(roles: Iterable[str]) -> list[str]:
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(unknown)}."})
    return sorted(set(roles))


def create_user(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    roles: Iterable[str] = (Role.REQUESTER,),
    acting_user: User | None,
    channel: str = Channel.WEB,
    **fields: Any,
) -> User:
    """Create a user; without a password the account can only log in after a password reset."""
    require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    role_list = _check_roles(roles)
    user = User(username=username, email=email, **fields)
    if password is not None:
        _check_password(password, user, "password")
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = Role.ADMINISTRATOR in role_list
    _clean_user(user)
    with transaction.atomic():
        try:
            user.save()
        except IntegrityError:
            raise ValidationError({"username": "This username or e-mail is taken."}) from None
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=role) for role in role_list])
        values = {name: getattr(user, name) for name in ("username", "email", *fields)}
        changes = {name: (None, value) for name, value in values.items()}
        changes["roles"] = (None, role_list)
        record_change(user, action="created", actor=acting_user, channel=channel, changes=changes)
        search.index(user, _user_text(user))
    user.forget_roles()
    return user


def update_user(
    user: User, *, acting_user: User | None, channel: str = Channel.WEB, **values: Any
) -> User:
    require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    if acting_user is not None and user.pk == acting_user.pk and values.get("is_active") is False:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    update_fields(
        user,
        values,
        allowed=USER_FIELDS,
        acting_user=acting_user,
        channel=channel,
        clean=_clean_user,
        search_text=_user_text,
    )
    return user


def set_roles(
    user: User, roles: Iterable[str], *, acting_user: User | None, channel: str = Channel.WEB
) -> User:
    require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    new_roles = _check_roles(roles)
    if (
        acting_user is not None
        and user.pk == acting_user.pk
        and Role.ADMINISTRATOR not in new_roles
    ):
        raise ValidationError({"roles": "You cannot remove your own administrator role."})
    old_roles = sorted(user.role_grants.values_list("role", flat=True))
    if old_roles == new_roles:
        return user
    with transaction.atomic():
        user.role_grants.exclude(role__in=new_roles).delete()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=role) for role in new_roles if role not in old_roles]
        )
        User.objects.filter(pk=user.pk).update(is_staff=Role.ADMINISTRATOR in new_roles)
        record_change(
            user,
            action="roles_changed",
            actor=acting_user,
            channel=channel,
            changes={"roles": (old_roles, new_roles)},
        )
    user.is_staff = Role.ADMINISTRATOR in new_roles
    user.forget_roles()
    return user


def change_password(
    user: User,
    new_password: str,
    *,
    acting_user: User | None,
    channel: str = Channel.WEB,
    old_password: str | None = None,
) -> None:
    """Set a new password: the user themself (who must give the old one) or an administrator."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    elif acting_user is not None and not user.check_password(old_password or ""):
        raise ValidationError({"old_password": "The current password is not correct."})
    _check_password(new_password, user, "new_password")
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        record_change(user, action="password_changed", actor=acting_user, channel=channel)
        notify(
            [user],
            kind="account_security",
            subject="Your Watchkeeper password was changed",
            template="accounts/email/password_changed.txt",
            context={"user": user, "by": acting_user},
        )


def update_notification_settings(
    user: User, *, notify_by_email: bool, kinds: dict[str, bool], acting_user: User
) -> None:
    if acting_user.pk != user.pk:
        raise PermissionDenied("Only the user can change their notification preferences.")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValidationError({"kinds": f"Unknown notification kind(s): {', '.join(unknown)}."})
    changes = diff(user, {"notify_by_email": notify_by_email, "notification_settings": kinds})
    if not changes:
        return
    with transaction.atomic():
        user.notify_by_email, user.notification_settings = notify_by_email, kinds
        user.save(update_fields=["notify_by_email", "notification_settings"])
        record_change(user, action="preferences_changed", actor=acting_user, changes=changes)


def create_token(
    user: User,
    *,
    name: str,
    scope: str = TokenScope.READ,
    expires_in_days: int | None = None,
    acting_user: User | None,
    channel: str = Channel.WEB,
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its secret, which is shown only now."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    errors = {}
    if not name.strip():
        errors["name"] = "Give the token a name that says what it is for."
    if scope not in TokenScope.values:
        errors["scope"] = f"Scope must be one of: {', '.join(TokenScope.values)}."
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        errors["expires_in_days"] = f"Expiry must be between 1 and {MAX_TOKEN_DAYS} days."
    if errors:
        raise ValidationError(errors)
    secret, prefix, digest = new_secret()
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=prefix,
            digest=digest,
            scope=scope,
            expires_at=expires_at,
        )
        changes = {
            "name": (None, token.name),
            "scope": (None, scope),
            "expires_at": (None, expires_at),
        }
        record_change(token, action="created", actor=acting_user, channel=channel, changes=changes)
        notify(
            [user],
            kind="account_security",
            subject="A new API token was created for your account",
            template="accounts/email/token_created.txt",
            context={"user": user, "token": token},
        )
    return token, secret


def revoke_token(token: ApiToken, *, acting_user: User | None, channel: str = Channel.WEB) -> None:
    if acting_user is not None and acting_user.pk != token.user_id:
        require_permission(acting_user, AccountsPermission.MANAGE_USERS)
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        changes = {"revoked_at": (None, token.revoked_at)}
        record_change(token, action="revoked", actor=acting_user, channel=channel, changes=changes)


def create_group(
    *, name: str, acting_user: User | None, channel: str = Channel.WEB, **fields: Any
) -> SupportGroup:
    require_permission(acting_user, AccountsPermission.MANAGE_GROUPS)
    group = SupportGroup(name=name, **fields)
    group.full_clean()
    with transaction.atomic():
        group.save()
        changes = {key: (None, getattr(group, key)) for key in ("name", *fields)}
        record_change(group, action="created", actor=acting_user, channel=channel, changes=changes)
        search.index(group, _group_text(group))
    return group


def update_group(
    group: SupportGroup, *, acting_user: User | None, channel: str = Channel.WEB, **values: Any
) -> SupportGroup:
    require_permission(acting_user, AccountsPermission.MANAGE_GROUPS)
    update_fields(
        group,
        values,
        allowed=GROUP_FIELDS,
        acting_user=acting_user,
        channel=channel,
        search_text=_group_text,
    )
    return group


def set_members(
    group: SupportGroup,
    members: Iterable[User],
    *,
    acting_user: User | None,
    channel: str = Channel.WEB,
) -> SupportGroup:
    require_permission(acting_user, AccountsPermission.MANAGE_GROUPS)
    new_members = {user.pk: user for user in members}
    for user in new_members.values():
        if not (user.roles & STAFF_ROLES):
            raise ValidationError({"members": f"{user.username} has no role that works tickets."})
    with transaction.atomic():
        old_ids = set(group.members.values_list("pk", flat=True))
        if old_ids == set(new_members):
            return group
        group.members.set(list(new_members.values()))
        old_names = sorted(User.objects.filter(pk__in=old_ids).values_list("username", flat=True))
        new_names = sorted(user.username for user in new_members.values())
        changes = {"members": (old_names, new_names)}
        record_change(
            group, action="members_changed", actor=acting_user, channel=channel, changes=changes
        )
    return group
