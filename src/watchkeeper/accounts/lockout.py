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


def is_locked(username: str) -> bool:
    recent = LoginFailure.objects.filter(username=username.lower(), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str, request: HttpRequest | None) -> None:
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    LoginFailure.objects.create(username=username.lower(), ip_address=address or None)


def clear(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()


def purge_expired() -> int:
    deleted, _ = LoginFailure.objects.filter(at__lt=_window_start()).delete()
    return deleted
