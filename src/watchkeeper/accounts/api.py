"""API for the caller (``/me``, own tokens) and, for administrators, users and support groups."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import ApiToken, SupportGroup, User
from watchkeeper.accounts.permissions import AccountsPermission
from watchkeeper.core import search
from watchkeeper.core.api import (
    MAX_ID,
    ApiFilterSchema,
    ApiSchema,
    EmailOrBlank,
    caller,
    requires,
)
from watchkeeper.core.choices import Channel

router = Router(tags=["accounts"])
USERNAME_PATTERN = r"^[\w.@+-]+$"


class GroupRef(Schema):
    id: int
    name: str


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    is_active: bool
    roles: list[str]
    groups: list[GroupRef]
    manager: str | None

    @staticmethod
    def resolve_roles(user: User) -> list[str]:
        return sorted(user.roles)

    @staticmethod
    def resolve_groups(user: User) -> list[dict[str, Any]]:
        return [{"id": g.pk, "name": g.name} for g in user.support_groups.all()]

    @staticmethod
    def resolve_manager(user: User) -> str | None:
        return user.manager.username if user.manager else None


class MeOut(UserOut):
    permissions: list[str]
    token_scope: str | None = Field(None, description="Scope of the token used, if any")

    @staticmethod
    def resolve_permissions(user: User) -> list[str]:
        return sorted(user.get_all_permissions())

    @staticmethod
    def resolve_token_scope(user: User, context: dict[str, Any]) -> str | None:
        token = getattr(context["request"], "api_token", None)
        return token.scope if token else None


class UserIn(ApiSchema):
    username: str = Field(..., min_length=1, max_length=150, pattern=USERNAME_PATTERN)
    email: EmailOrBlank = ""
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=120)
    roles: list[Role] = Field(default_factory=lambda: [Role.REQUESTER])
    password: str | None = Field(
        None, max_length=4096, description="Leave out to let the user set one by reset"
    )


class UserPatch(ApiSchema):
    email: EmailOrBlank | None = None
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=120)
    manager: str | None = Field(None, description="Username of the user's manager")
    is_active: bool | None = None


class RolesIn(ApiSchema):
    roles: list[Role]


class UserFilter(ApiFilterSchema):
    q: str | None = Field(None, description="Words in the name, username, e-mail or title")
    role: Role | None = None
    group: int | None = Field(None, ge=1, le=MAX_ID, description="Support group id")
    is_active: bool | None = None


class GroupOut(Schema):
    id: int
    name: str
    description: str
    email: str
    manager: str | None
    members: list[str]
    is_active: bool

    @staticmethod
    def resolve_manager(group: SupportGroup) -> str | None:
        return group.manager.username if group.manager else None

    @staticmethod
    def resolve_members(group: SupportGroup) -> list[str]:
        return [user.username for user in group.members.all()]


class GroupIn(ApiSchema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = ""
    email: EmailOrBlank = ""
    manager: str | None = Field(None, description="Username of the group's manager")


class GroupPatch(ApiSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    email: EmailOrBlank | None = None
    manager: str | None = None
    is_active: bool | None = None


class MembersIn(ApiSchema):
    members: list[str] = Field(..., description="Usernames; replaces the current members")


class GroupFilter(ApiFilterSchema):
    q: str | None = None
    is_active: bool | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    state: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIn(ApiSchema):
    name: str = Field(..., min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"
    expires_in_days: int | None = Field(None, ge=1, le=actions.MAX_TOKEN_DAYS)


class NewTokenOut(TokenOut):
    token: str = Field(..., description="The secret; shown only in this answer")


def _user_by_name(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({field: f"No user named {username!r}."})
    return user


def _user_or_404(users: QuerySet[User], username: str) -> User:
    """The user named in the path; a name no user could have is simply not found."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise Http404
    return get_object_or_404(users, username=username)


def _users() -> QuerySet[User]:
    return User.objects.select_related("manager").prefetch_related("support_groups", "role_grants")


@router.get("/me", response=MeOut, operation_id="get_me", summary="The caller")
def get_me(request: HttpRequest) -> User:
    return caller(request)


@router.get("/me/tokens", response=list[TokenOut], operation_id="list_my_tokens")
def list_my_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=caller(request))


@router.post("/me/tokens", response={201: NewTokenOut}, operation_id="create_my_token")
def create_my_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    token, secret = actions.create_token(
        caller(request),
        name=payload.name,
        scope=payload.scope,
        expires_in_days=payload.expires_in_days,
        acting_user=caller(request),
        channel=Channel.API,
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": secret})


@router.delete("/me/tokens/{token_id}", response={204: None}, operation_id="revoke_my_token")
def revoke_my_token(request: HttpRequest, token_id: int) -> Status[None]:
    token = get_object_or_404(ApiToken, pk=token_id, user=caller(request))
    actions.revoke_token(token, acting_user=caller(request), channel=Channel.API)
    return Status(204, None)


@router.get("/users", response=list[UserOut], operation_id="list_users")
@requires(AccountsPermission.VIEW_DIRECTORY)
@paginate
def list_users(request: HttpRequest, filters: Query[UserFilter]) -> QuerySet[User]:
    users = _users()
    if filters.role:
        users = users.filter(role_grants__role=filters.role)
    if filters.group:
        users = users.filter(support_groups__pk=filters.group)
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return search.search(users.distinct(), filters.q or "")


@router.post("/users", response={201: UserOut}, operation_id="create_user")
@requires(AccountsPermission.MANAGE_USERS)
def create_user(request: HttpRequest, payload: UserIn) -> Status[User]:
    data = payload.dict()
    user = actions.create_user(acting_user=caller(request), channel=Channel.API, **data)
    return Status(201, _users().get(pk=user.pk))


@router.get("/users/{username}", response=UserOut, operation_id="get_user")
@requires(AccountsPermission.VIEW_DIRECTORY)
def get_user(request: HttpRequest, username: str) -> User:
    return _user_or_404(_users(), username)


@router.patch("/users/{username}", response=UserOut, operation_id="update_user")
@requires(AccountsPermission.MANAGE_USERS)
def update_user(request: HttpRequest, username: str, payload: UserPatch) -> User:
    user = _user_or_404(User.objects.all(), username)
    values = payload.dict(exclude_unset=True)
    if "manager" in values:
        values["manager"] = _user_by_name(values["manager"], "manager")
    for key in ("first_name", "last_name", "phone", "job_title", "email", "is_active"):
        if key in values and values[key] is None:
            del values[key]
    actions.update_user(user, acting_user=caller(request), channel=Channel.API, **values)
    return _users().get(pk=user.pk)


@router.put("/users/{username}/roles", response=UserOut, operation_id="set_user_roles")
@requires(AccountsPermission.MANAGE_USERS)
def set_user_roles(request: HttpRequest, username: str, payload: RolesIn) -> User:
    user = _user_or_404(User.objects.all(), username)
    actions.set_roles(user, payload.roles, acting_user=caller(request), channel=Channel.API)
    return _users().get(pk=user.pk)


def _groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.select_related("manager").prefetch_related("members")


@router.get("/groups", response=list[GroupOut], operation_id="list_groups")
@requires(AccountsPermission.VIEW_DIRECTORY)
@paginate
def list_groups(request: HttpRequest, filters: Query[GroupFilter]) -> QuerySet[SupportGroup]:
    groups = _groups()
    if filters.is_active is not None:
        groups = groups.filter(is_active=filters.is_active)
    if filters.q:
        groups = groups.filter(Q(name__icontains=filters.q) | Q(description__icontains=filters.q))
    return groups


@router.post("/groups", response={201: GroupOut}, operation_id="create_group")
@requires(AccountsPermission.MANAGE_GROUPS)
def create_group(request: HttpRequest, payload: GroupIn) -> Status[SupportGroup]:
    data = payload.dict()
    data["manager"] = _user_by_name(data.pop("manager"), "manager")
    group = actions.create_group(acting_user=caller(request), channel=Channel.API, **data)
    return Status(201, _groups().get(pk=group.pk))


@router.get("/groups/{group_id}", response=GroupOut, operation_id="get_group")
@requires(AccountsPermission.VIEW_DIRECTORY)
def get_group(request: HttpRequest, group_id: int) -> SupportGroup:
    return get_object_or_404(_groups(), pk=group_id)


@router.patch("/groups/{group_id}", response=GroupOut, operation_id="update_group")
@requires(AccountsPermission.MANAGE_GROUPS)
def update_group(request: HttpRequest, group_id: int, payload: GroupPatch) -> SupportGroup:
    group = get_object_or_404(SupportGroup, pk=group_id)
    values = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "manager"
    }
    if "manager" in values:
        values["manager"] = _user_by_name(values["manager"], "manager")
    actions.update_group(group, acting_user=caller(request), channel=Channel.API, **values)
    return _groups().get(pk=group.pk)


@router.put("/groups/{group_id}/members", response=GroupOut, operation_id="set_group_members")
@requires(AccountsPermission.MANAGE_GROUPS)
def set_group_members(request: HttpRequest, group_id: int, payload: MembersIn) -> SupportGroup:
    group = get_object_or_404(SupportGroup, pk=group_id)
    members = [_user_by_name(name, "members") for name in payload.members]
    actions.set_members(
        group, [m for m in members if m], acting_user=caller(request), channel=Channel.API
    )
    return _groups().get(pk=group.pk)
