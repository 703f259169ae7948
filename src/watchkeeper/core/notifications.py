"""Notifications by e-mail, sent after the transaction commits, honouring each user's preferences.

Apps register the kinds of notification they send; the profile page lists them so a user can turn
off the optional ones. Mail goes through Django's e-mail backend (SMTP when configured).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from watchkeeper.core.jobs import enqueue_on_commit, job

SUBJECT_PREFIX = "[Watchkeeper] "


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str
    description: str
    optional: bool = True


KINDS: dict[str, NotificationKind] = {}


def register_kind(key: str, label: str, description: str, *, optional: bool = True) -> None:
    KINDS[key] = NotificationKind(key, label, description, optional)


register_kind(
    "account_security",
    "Account security",
    "Your password was changed or an API token was created for your account.",
    optional=False,
)


def wants(user: Any, kind: str) -> bool:
    """Whether ``user`` should get a notification of ``kind`` by e-mail."""
    declared = KINDS[kind]  # an unregistered kind is a mistake, whoever the user is
    if not (user.is_active and user.email):
        return False
    if not declared.optional:
        return True
    return bool(user.notify_by_email and user.notification_settings.get(kind, True))


def notify(
    users: Iterable[Any], *, kind: str, subject: str, template: str, context: dict[str, Any]
) -> int:
    """Queue one e-mail per user who wants ``kind``; sent only if the transaction commits."""
    count = 0
    for user in users:
        if not wants(user, kind):
            continue
        body = render_to_string(
            template, {**context, "recipient": user, "base_url": settings.BASE_URL}
        )
        enqueue_on_commit(send_email, [user.email], SUBJECT_PREFIX + subject, body)
        count += 1
    return count


def notify_addresses(
    addresses: Iterable[str], *, subject: str, template: str, context: dict[str, Any]
) -> int:
    """Queue one e-mail per address (people outside Watchkeeper, e.g. stakeholders)."""
    count = 0
    for address in addresses:
        body = render_to_string(
            template, {**context, "recipient": None, "base_url": settings.BASE_URL}
        )
        enqueue_on_commit(send_email, [address], SUBJECT_PREFIX + subject, body)
        count += 1
    return count


@job(retries=3, retry_delay=60)
def send_email(recipients: list[str], subject: str, body: str) -> int:
    """Send one plain-text e-mail; raises on SMTP failure so Huey retries it (3 times)."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return message.send()
