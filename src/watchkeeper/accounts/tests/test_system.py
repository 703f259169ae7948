"""The system account: one, inactive, unusable; it signs what jobs write."""

from __future__ import annotations

from django.test import Client

from watchkeeper.accounts.choices import Role
from watchkeeper.accounts.system import SYSTEM_USERNAME, system_user
from watchkeeper.incidents.actions import add_work_note, create_incident


def test_there_is_one_system_account_and_it_cannot_log_in(db):
    # when it is asked for twice
    first, second = system_user(), system_user()

    # then it is the same inactive account without a usable password
    assert first.pk == second.pk
    assert (first.username, first.is_active, first.has_usable_password()) == (
        SYSTEM_USERNAME,
        False,
        False,
    )
    assert not Client().login(username=SYSTEM_USERNAME, password="")


def test_a_job_writes_a_work_note_signed_by_the_system(make_user):
    # given an incident
    caller = make_user("ann", Role.REQUESTER)
    incident = create_incident(caller=caller, short_description="Mail down", acting_user=caller)

    # when a job (no acting user) adds a work note
    note = add_work_note(incident, body="Backup failed again.", acting_user=None)

    # then the system account is its author
    assert note.author.username == SYSTEM_USERNAME
