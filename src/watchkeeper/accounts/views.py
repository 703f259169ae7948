"""Login, profile (password, notification preferences, API tokens)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user, update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views import View

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.forms import LoginForm, NotificationForm, PasswordChangeForm, TokenForm
from watchkeeper.accounts.models import ApiToken, User
from watchkeeper.core.notifications import KINDS


class WatchkeeperLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _user(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user``: actions use ``type(user)``."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def _profile(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    user = _user(request)
    if status == 400:
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    context = {
        "password_form": forms.get("password_form") or PasswordChangeForm(),
        "token_form": forms.get("token_form") or TokenForm(),
        "notification_form": forms.get("notification_form")
        or NotificationForm(
            initial={"notify_by_email": user.notify_by_email},
            settings_=user.notification_settings,
        ),
        "tokens": ApiToken.objects.filter(user=user),
        "new_token": forms.get("new_token"),
        "groups": user.support_groups.all(),
        "role_labels": [Role(role).label for role in sorted(user.roles)],
        "required_kinds": [kind for kind in KINDS.values() if not kind.optional],
        "api_base": request.build_absolute_uri("/").rstrip("/"),
    }
    response = render(request, "accounts/profile.html", context, status=status)
    # The page may carry a new token's secret: no browser or proxy may keep a copy.
    add_never_cache_headers(response)
    return response


def _apply_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


class ProfileView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _profile(request)


class PasswordChangeView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            user = _user(request)
            try:
                actions.change_password(
                    user,
                    form.cleaned_data["new_password"],
                    old_password=form.cleaned_data["old_password"],
                    acting_user=user,
                )
            except ValidationError as error:
                field_error = ValidationError(
                    {"new_password": error.messages}
                    if not hasattr(error, "error_dict")
                    else error.message_dict
                )
                _apply_errors(form, field_error)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, "Your password was changed.")
                return redirect("profile")
        return _profile(request, status=400, password_form=form)


class NotificationsView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        form = NotificationForm(request.POST, settings_=user.notification_settings)
        if not form.is_valid():
            return _profile(request, status=400, notification_form=form)
        actions.update_notification_settings(
            user,
            notify_by_email=form.cleaned_data["notify_by_email"],
            kinds=form.kinds(),
            acting_user=user,
        )
        messages.success(request, "Your notification preferences were saved.")
        return redirect("profile")


class TokenCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = TokenForm(request.POST)
        if not form.is_valid():
            return _profile(request, status=400, token_form=form)
        user = _user(request)
        try:
            token, secret = actions.create_token(
                user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                acting_user=user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
            return _profile(request, status=400, token_form=form)
        return _profile(request, new_token={"token": token, "secret": secret})


class TokenRevokeView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        actions.revoke_token(token, acting_user=_user(request))
        messages.success(request, f"The token {token.name!r} was revoked.")
        return redirect("profile")
