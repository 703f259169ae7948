"""``watchkeeper demo [--if-empty]``: load the demo organisation and print how to log in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.core.demo import USERS, is_empty, load_demo

PASSWORD_FILE = "initial-admin-password"  # noqa: S105 (a file name)


def password_file() -> Path:
    return Path(settings.DATA_DIR) / PASSWORD_FILE


def keep_password(password: str) -> None:
    """Keep the generated password for the operator, readable by the owner only (as Jenkins)."""
    path = password_file()
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")


class Command(BaseCommand):
    help = "Load a demo organisation (groups, a user of every role, services)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when users already exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_empty():
            if options["if_empty"]:
                self.print_login(None)
                return
            raise CommandError(
                "The database already has users; the demo loads only into an empty one."
            )
        _, password = load_demo(os.environ.get("WATCHKEEPER_ADMIN_PASSWORD"))
        keep_password(password)
        self.stdout.write("Loaded the demo organisation.")
        self.print_login(password)

    def print_login(self, password: str | None) -> None:
        if password is None and password_file().exists():
            password = password_file().read_text().strip()
        if password is None:
            self.stdout.write("Log in with your administrator account.")
            return
        others = ", ".join(user.username for user in USERS)
        self.stdout.write(
            f"Log in at {settings.BASE_URL}/login/ as admin with password {password}\n"
            f"(the initial password, kept in {password_file()} until you delete it).\n"
            f"Demo users with the same password, one per role: {others}."
        )
