"""Notifications: in-app for everything relevant, and by e-mail (sent after the transaction
commits) as each user's preferences say.

Apps register the kinds of notification they send; the profile page lists them so a user can turn
off the optional ones. Mail goes through Django's e-mail backend (SMTP when configured). Texts come
from the template files, or from an administrator's ``NotificationTemplate`` of the same name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context, Template
from django.template.engine import Engine
from django.utils import timezone

from watchkeeper.core.jobs import enqueue_on_commit, job
from watchkeeper.core.models import Notification, NotificationTemplate

logger = logging.getLogger(__name__)

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


Link = str | Callable[[Any], str]


def custom_template(template: str) -> NotificationTemplate | None:
    """The administrator's active text for the file ``template``, if any."""
    return NotificationTemplate.objects.filter(key=template, is_active=True).first()


def render(
    template: str,
    context: dict[str, Any],
    subject: str,
    custom: NotificationTemplate | None = None,
) -> tuple[str, str]:
    """The subject and body of one message, from ``custom`` (see ``custom_template``) or else
    the file. A broken custom template is logged and the file used, so a typo in the admin
    never stops an action."""
    if custom is not None:
        try:
            text = Context(context, autoescape=False)
            body = Template(custom.body).render(text)
            if custom.subject.strip():
                subject = Template(custom.subject).render(text)
            return subject, body
        except Exception:
            logger.exception(
                "Notification template %r is broken; the file is used instead", template
            )
    file_template = Engine.get_default().get_template(template)
    return subject, file_template.render(Context(context, autoescape=False))  # plain text


def _one_line(subject: str) -> str:
    """Mail headers cannot hold line breaks; user text may."""
    return " ".join(subject.split())[:250]


def _link(url: Link, user: Any) -> str:
    return url(user) if callable(url) else url


def notify(
    users: Iterable[Any],
    *,
    kind: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    url: Link = "",
) -> int:
    """Tell each active user in-app, and by e-mail those who want ``kind``; the e-mails go only
    if the transaction commits. ``url`` (or ``url(user)``) is the in-app link. Returns the
    number of e-mails queued."""
    declared = KINDS[kind]  # an unregistered kind is a mistake, whoever the users are
    people = [user for user in users if user.is_active]
    Notification.objects.bulk_create(
        [Notification(user=user, title=_one_line(subject), url=_link(url, user)) for user in people]
    )
    count, custom = 0, custom_template(template)
    for user in people:
        if not wants(user, declared.key):
            continue
        extra = {"recipient": user, "base_url": settings.BASE_URL}
        title, body = render(template, {**context, **extra}, subject, custom)
        enqueue_on_commit(send_email, [user.email], SUBJECT_PREFIX + _one_line(title), body)
        count += 1
    return count


def notify_addresses(
    addresses: Iterable[str], *, subject: str, template: str, context: dict[str, Any]
) -> int:
    """Queue one e-mail per address (people outside Watchkeeper, e.g. stakeholders)."""
    count, custom = 0, custom_template(template)
    for address in addresses:
        extra = {"recipient": None, "base_url": settings.BASE_URL}
        title, body = render(template, {**context, **extra}, subject, custom)
        enqueue_on_commit(send_email, [address], SUBJECT_PREFIX + _one_line(title), body)
        count += 1
    return count


def unread_count(user: Any) -> int:
    """For the badge in the navigation: one indexed count."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_all_read(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@job(retries=3, retry_delay=60)
def send_email(recipients: list[str], subject: str, body: str) -> int:
    """Send one plain-text e-mail; raises on SMTP failure so Huey retries it (3 times)."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return message.send()
