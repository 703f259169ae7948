"""Forms of the login, password and profile pages; saving goes through ``accounts.actions``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm

from watchkeeper.accounts import actions, lockout
from watchkeeper.accounts.actions import MAX_TOKEN_DAYS
from watchkeeper.accounts.choices import TokenScope
from watchkeeper.accounts.models import User
from watchkeeper.core.notifications import KINDS


class LoginForm(AuthenticationForm):
    """Django's login form, plus a clear message when the username is locked out."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and lockout.is_locked(username):
            raise self.locked_error()
        try:
            return super().clean()
        except forms.ValidationError:
            # The failure that reaches the limit says so at once, not on the next try.
            if username and lockout.is_locked(username):
                raise self.locked_error() from None
            raise

    @staticmethod
    def locked_error() -> forms.ValidationError:
        return forms.ValidationError(
            "Too many failed logins: this account is locked for %(minutes)s minutes. "
            "Try again later or reset your password.",
            code="locked",
            params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, but it also reaches accounts created without a password.

    ``actions.create_user`` leaves such accounts an unusable password and a reset is how their
    owners choose their first one; Django's form would silently send them nothing.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        matches = User._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in matches if user.email.casefold() == email.casefold())


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The form behind a password reset link; it saves through ``actions.change_password``."""

    def save(self, commit: bool = True) -> Any:
        actions.change_password(self.user, self.cleaned_data["new_password1"], acting_user=None)
        return self.user


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'backup script'.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        required=False,
        initial=90,
        label="Expires in (days)",
        help_text="Leave empty for a token that does not expire.",
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Current password",
    )
    new_password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="New password",
        help_text="At least 12 characters; not a common password, not all digits.",
    )
    new_password_again = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="New password again",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class NotificationForm(forms.Form):
    notify_by_email = forms.BooleanField(required=False, label="Send me e-mail notifications")

    def __init__(self, *args: Any, settings_: dict[str, bool] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for kind in KINDS.values():
            if kind.optional:
                self.fields[f"kind_{kind.key}"] = forms.BooleanField(
                    required=False,
                    label=kind.label,
                    help_text=kind.description,
                    initial=(settings_ or {}).get(kind.key, True),
                )

    def kinds(self) -> dict[str, bool]:
        return {
            name.removeprefix("kind_"): bool(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_")
        }


def split_list(text: str) -> list[str]:
    """Comma- (or semicolon-) separated words, trimmed, each once, in their order."""
    parts = (part.strip() for part in text.replace(";", ",").split(","))
    return list(dict.fromkeys(part for part in parts if part))


class UsernamesField(forms.CharField):
    """Active users typed as comma-separated usernames; cleans to the users, in that order."""

    def __init__(self, *, most: int = 200, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5_000)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Usernames, separated by commas. Empty clears the list.")
        super().__init__(**kwargs)
        self.most = most

    def clean(self, value: Any) -> list[User]:
        names = split_list(super().clean(value) or "")
        if len(names) > self.most:
            raise forms.ValidationError(f"At most {self.most} people.")
        found = {
            user.username: user for user in User.objects.filter(username__in=names, is_active=True)
        }
        unknown = [name for name in names if name not in found]
        if unknown:
            raise forms.ValidationError(f"No active user named {', '.join(unknown)[:200]}.")
        return [found[name] for name in names]
