"""Lock a username after repeated failed logins (``WATCHKEEPER_LOGIN_FAILURE_LIMIT`` within
``WATCHKEEPER_LOGIN_LOCKOUT_MINUTES``), whether or not the username exists, so the lockout tells
an attacker nothing about which accounts are real."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from watchkeeper.accounts.models import LoginFailure


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _key(username: str) -> str:
    """The name failures are counted under: case-insensitive, cut to the column's length."""
    return username.lower()[: LoginFailure._meta.get_field("username").max_length]


def is_locked(username: str) -> bool:
    recent = LoginFailure.objects.filter(username=_key(username), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str, request: HttpRequest | None) -> None:
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    LoginFailure.objects.create(username=_key(username), ip_address=address or None)


def clear(username: str) -> None:
    LoginFailure.objects.filter(username=_key(username)).delete()


def purge_expired() -> int:
    deleted, _ = LoginFailure.objects.filter(at__lt=_window_start()).delete()
    return deleted
