from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from watchkeeper.accounts import actions
from watchkeeper.accounts.models import ApiToken, LoginFailure, RoleGrant, SupportGroup, User
from watchkeeper.core.admin import HistoriedAdmin, ReadOnlyAdmin
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change

# Roles replace Django's permission groups; hide them so there is one way to give access.
admin.site.unregister(Group)


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1


@admin.register(User)
class UserAdmin(HistoriedAdmin, DjangoUserAdmin):
    inlines = [RoleGrantInline]
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "role_grants__role", "support_groups")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            "Person",
            {"fields": ("first_name", "last_name", "email", "phone", "job_title", "manager")},
        ),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Notifications", {"fields": ("notify_by_email", "notification_settings")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    autocomplete_fields = ("manager",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Users are deactivated, never deleted: their history and tickets must stay whole."""
        return False

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm,
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        user = form.instance
        before = sorted(user.role_grants.values_list("role", flat=True))
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            after = sorted(user.role_grants.values_list("role", flat=True))
            if before != after:
                record_change(
                    user,
                    action="roles_changed",
                    actor=request.user,
                    channel=Channel.WEB,
                    changes={"roles": (before, after)},
                )
        user.forget_roles()


@admin.register(SupportGroup)
class SupportGroupAdmin(HistoriedAdmin):
    list_display = ("name", "manager", "email", "is_active")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)
    autocomplete_fields = ("manager",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "scope", "state", "created_at", "expires_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__username", "prefix")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            actions.revoke_token(token, acting_user=request.user, channel=Channel.WEB)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("accounts.manage_users")) and obj is None


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ("username", "ip_address", "at")
    search_fields = ("username",)
