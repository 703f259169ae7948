"""``watchkeeper token create USERNAME --name NAME``: prints only the new token, for scripts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.accounts import actions
from watchkeeper.accounts.choices import TokenScope
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel


class Command(BaseCommand):
    help = "Create an API token for a user and print it (only the token)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token")
        create.add_argument("username")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        create.add_argument("--expires", type=int, metavar="DAYS", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        try:
            _, secret = actions.create_token(
                user,
                name=options["name"],
                scope=options["scope"],
                expires_in_days=options["expires"],
                acting_user=None,
                channel=Channel.CLI,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(secret)
