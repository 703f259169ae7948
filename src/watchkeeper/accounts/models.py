"""People, support groups, roles, API tokens and failed logins."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from watchkeeper.accounts.choices import MANAGER_ROLES, STAFF_ROLES, Role, TokenScope
from watchkeeper.core.models import Historied


class UserQuerySet(models.QuerySet["User"]):
    def with_role(self, role: str) -> UserQuerySet:
        return self.filter(role_grants__role=role).distinct()

    def with_permission(self, permission: str) -> UserQuerySet:
        """Active users whose roles grant ``permission`` (administrators hold every one), in one
        query rather than a ``has_perm`` call per user."""
        from watchkeeper.core.permissions import all_grants

        roles = [role for role, granted in all_grants().items() if permission in granted]
        roles.append(Role.ADMINISTRATOR)
        holders = models.Q(role_grants__role__in=roles) | models.Q(is_superuser=True)
        return self.filter(holders, is_active=True).distinct()


class WatchkeeperUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's user manager with the ``UserQuerySet`` methods (``with_permission``…)."""


class User(Historied, AbstractUser):
    """A person who uses Watchkeeper. Roles live in ``RoleGrant``; a user may hold several."""

    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    notify_by_email = models.BooleanField(default=True)
    notification_settings = models.JSONField(default=dict, blank=True)

    objects: ClassVar[WatchkeeperUserManager] = WatchkeeperUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_unique_email",
                violation_error_message="Another user already has this e-mail address.",
            )
        ]
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles, read once per instance; a superuser counts as an administrator."""
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            granted = set(self.role_grants.values_list("role", flat=True)) if self.pk else set()
            if self.is_superuser:
                granted.add(Role.ADMINISTRATOR)
            cached = frozenset(granted)
            self._roles_cache = cached
        return cached

    def forget_roles(self) -> None:
        self.__dict__.pop("_roles_cache", None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_staff_member(self) -> bool:
        """True for anyone who works tickets (any role but requester alone)."""
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_manager(self) -> bool:
        return bool(self.roles & MANAGER_ROLES)


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()}"


class SupportGroup(Historied):
    """An assignment group: a team with a queue, members and a manager."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_groups"
    )
    members = models.ManyToManyField(User, blank=True, related_name="support_groups")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(Historied):
    """A named, scoped, expiring API token. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class LoginFailure(models.Model):
    """One failed login, kept for the lockout window; old rows are purged by a periodic job."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M}"
