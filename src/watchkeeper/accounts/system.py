"""The system's own account: the author and caller of what Watchkeeper does by itself.

A work note or an incident needs a person on record (``Activity.author``, ``Incident.caller``).
When a job writes one — a failed backup, and later an alert from monitoring — that person is
this account: inactive, with no usable password and no e-mail, so it can neither log in nor be
notified, and its name tells every reader that no human wrote it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User

SYSTEM_USERNAME = "watchkeeper-system"


def system_user() -> User:
    """The system account, created on first use (safe when two jobs ask at once)."""
    found = User.objects.filter(username=SYSTEM_USERNAME).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            user = User(
                username=SYSTEM_USERNAME,
                first_name="Watchkeeper",
                last_name="(automatic)",
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            return user
    except IntegrityError:
        return User.objects.get(username=SYSTEM_USERNAME)
