"""Authentication by password with lockout, and permissions derived from the user's roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from watchkeeper.accounts import lockout
from watchkeeper.accounts.choices import Role
from watchkeeper.core.permissions import all_permissions, granted_to


class RoleBackend(ModelBackend):
    """``user.has_perm("accounts.manage_users")`` answers from the roles' declared grants."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or password is None or "\x00" in username:
            return None  # no username holds a NUL character (and PostgreSQL cannot compare one)
        if lockout.is_locked(username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.record_failure(username, request)
        else:
            lockout.clear(username)
        return user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if Role.ADMINISTRATOR in user_obj.roles:
            return set(all_permissions())
        return set(granted_to(user_obj.roles))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if Role.ADMINISTRATOR in user_obj.roles:
            return True
        return perm in granted_to(user_obj.roles)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(user_obj.is_active and Role.ADMINISTRATOR in user_obj.roles)
