"""``watchkeeper createadmin USERNAME --email EMAIL``: an administrator, for scripts."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel


def generated_password() -> str:
    return secrets.token_urlsafe(12)


def create_admin(username: str, email: str, password: str | None = None) -> tuple[User, str]:
    """Create the administrator; the password is given, from the environment, or generated."""
    password = password or os.environ.get("WATCHKEEPER_ADMIN_PASSWORD") or generated_password()
    user = actions.create_user(
        username=username,
        email=email,
        password=password,
        roles=[Role.ADMINISTRATOR],
        acting_user=None,
        channel=Channel.CLI,
    )
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    return user, password


class Command(BaseCommand):
    help = "Create an administrator. Password: WATCHKEEPER_ADMIN_PASSWORD, else generated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"A user named {options['username']!r} already exists.")
        from_env = bool(os.environ.get("WATCHKEEPER_ADMIN_PASSWORD"))
        try:
            user, password = create_admin(options["username"], options["email"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Created administrator {user.username}.")
        if not from_env:
            self.stdout.write(f"Password: {password}")
