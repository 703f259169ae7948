"""The hash-chained history: building the chain, and catching every kind of tampering."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import uuid

import pytest
from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.history import (
    diff,
    entry_hash,
    history_of,
    jsonable,
    record_change,
    record_key,
    verify_history,
)
from watchkeeper.core.models import HistoryEntry


def _edit(user: User, times: int) -> None:
    for position in range(times):
        with transaction.atomic():
            record_change(
                user,
                action="updated",
                channel=Channel.API,
                changes={"job_title": (f"title {position}", f"title {position + 1}")},
            )


def _problem_records() -> set[str]:
    return {problem.record for problem in verify_history()}


def test_record_change_builds_a_chain(make_user, admin_user):
    # given a user whose creation wrote the first entry
    user = make_user("chained")

    # when three more changes are recorded, one of them by the administrator
    _edit(user, 2)
    with transaction.atomic():
        last = record_change(
            user,
            action="renamed",
            actor=admin_user,
            channel=Channel.WEB,
            changes={"first_name": ("", "Chris")},
        )

    # then the entries are numbered 1..4, each linking to the one before
    entries = list(history_of(user))
    assert [entry.sequence for entry in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == ""
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert len({entry.hash for entry in entries}) == 4
    # and the head kept on the record matches the last entry, in memory and in the database
    stored = User.objects.get(pk=user.pk)
    assert (stored.history_length, stored.history_hash) == (4, last.hash)
    assert (user.history_length, user.history_hash) == (4, last.hash)
    # and the last entry says who, how and what
    assert last.actor_id == admin_user.pk
    assert last.actor_label == "admin"
    assert last.channel == "web"
    assert last.changes == {"first_name": {"old": "", "new": "Chris"}}
    assert entries[1].actor is None
    assert entries[1].actor_label == "system"


@pytest.mark.django_db(transaction=True)
def test_record_change_outside_a_transaction_is_refused(make_user):
    # given a user
    user = make_user()
    before = history_of(user).count()

    # when a change is recorded outside transaction.atomic
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        record_change(user, action="updated")

    # then nothing was written
    assert history_of(user).count() == before


def test_stored_hash_can_be_recomputed_from_the_database(make_user):
    # given a change with datetimes, decimals and a model among its values
    user = make_user()
    manager = make_user()
    when = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    with transaction.atomic():
        record_change(
            user,
            action="updated",
            changes={
                "due": (None, when),
                "cost": (decimal.Decimal("0.10"), decimal.Decimal("12.50")),
                "manager": (None, manager),
            },
        )

    # when the entry is read back from the database
    entry = history_of(user).last()

    # then its hash is the one written
    assert entry is not None
    assert entry_hash(entry) == entry.hash
    assert entry.changes["cost"] == {"old": "0.10", "new": "12.50"}
    assert entry.changes["manager"]["new"] == {"id": manager.pk, "label": str(manager)}


def test_verify_history_reports_nothing_for_intact_data(make_user, make_group):
    # given users and groups with several history entries each
    user = make_user()
    _edit(user, 3)
    make_group(members=(make_user("staffer", "agent"),))

    # when the history is verified
    problems = verify_history()

    # then there is nothing to report
    assert problems == []


def test_verify_history_reports_an_edited_entry(make_user):
    # given three users with history
    users = [make_user() for _ in range(3)]
    for user in users:
        _edit(user, 2)

    # when the second entry of one user's chain is edited in the database
    history_of(users[1]).filter(sequence=2).update(changes={"job_title": {"old": "x", "new": "y"}})

    # then exactly that user is reported, as altered
    problems = verify_history()
    assert [problem.record for problem in problems] == [record_key(users[1])]
    assert "altered" in problems[0].reason


def test_verify_history_reports_an_edited_actor_label(make_user):
    # given a user with history
    user, other = make_user(), make_user()

    # when someone rewrites who made the change
    history_of(user).filter(sequence=1).update(actor_label="somebody else")

    # then the chain no longer verifies for that user only
    assert _problem_records() == {record_key(user)}
    assert other.pk != user.pk


def test_verify_history_reports_a_deleted_middle_entry(make_user):
    # given two users with four entries each
    user, other = make_user(), make_user()
    _edit(user, 3)
    _edit(other, 3)

    # when the second entry of one chain is deleted
    history_of(user).filter(sequence=2).delete()

    # then only that user is reported, as missing an entry
    problems = verify_history()
    assert [problem.record for problem in problems] == [record_key(user)]
    assert "missing" in problems[0].reason


def test_verify_history_reports_a_deleted_last_entry(make_user):
    # given two users with three entries each
    user, other = make_user(), make_user()
    _edit(user, 2)
    _edit(other, 2)

    # when the last entry of one chain is deleted (the rest still links up)
    history_of(user).filter(sequence=3).delete()

    # then the head kept on the record gives it away
    problems = verify_history()
    assert [problem.record for problem in problems] == [record_key(user)]
    assert "deleted" in problems[0].reason


def test_verify_history_reports_a_record_whose_entries_were_all_deleted(make_user, make_group):
    # given a user and a group with history, and an untouched user
    user, bystander = make_user(), make_user()
    group = make_group()

    # when every entry of the user and of the group is deleted
    history_of(user).delete()
    history_of(group).delete()

    # then both are named, and nobody else
    problems = verify_history()
    assert {problem.record for problem in problems} == {record_key(user), record_key(group)}
    assert all("all 1 history entries were deleted" in problem.reason for problem in problems)
    assert record_key(bystander) not in _problem_records()


def test_verify_history_reports_a_rewritten_head(make_user):
    # given a user with history
    user = make_user()

    # when the head kept on the record is rewritten
    User.objects.filter(pk=user.pk).update(history_hash="0" * 64)

    # then the record is reported
    assert _problem_records() == {record_key(user)}


def test_verify_history_reports_a_record_deleted_without_an_entry(make_user):
    # given a user with history, and another
    user, other = make_user(), make_user()
    key = record_key(user)

    # when the user row is deleted behind the history's back
    User.objects.filter(pk=user.pk).delete()

    # then the orphaned chain is reported
    problems = verify_history()
    assert [problem.record for problem in problems] == [key]
    assert record_key(other) != key


def test_deleting_the_actor_leaves_the_chain_intact(make_user):
    # given a user whose changes were made by another user
    actor, user = make_user(), make_user()
    with transaction.atomic():
        record_change(user, action="updated", actor=actor, changes={"phone": ("", "1")})
    with transaction.atomic():
        record_change(actor, action="deleted")

    # when the actor's account is deleted
    actor.delete()

    # then the entries the actor wrote still verify (only the actor's own chain is gone)
    entry = history_of(user).last()
    assert entry is not None
    assert entry.actor_label == actor.username
    assert verify_history() == []


def test_jsonable_round_trips_through_json():
    # given values of the types actions record
    aware = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    naive = dt.datetime(2026, 1, 2, 3, 4, 5)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "aware": aware,
        "naive": naive,
        "day": dt.date(2026, 1, 2),
        "time": dt.time(8, 30),
        "price": decimal.Decimal("1.10"),
        "ratio": 0.5,
        "id": ident,
        "tags": ("a", "b"),
        "nothing": None,
        "flag": True,
        "count": 3,
        7: "int key",
    }

    # when it is made JSON-safe and read back
    result = json.loads(json.dumps(jsonable(value)))

    # then every value is the one JSON will give back later, and aware times are in UTC
    assert result == {
        "aware": "2026-01-02T01:04:05.000006+00:00",
        "naive": "2026-01-02T03:04:05",
        "day": "2026-01-02",
        "time": "08:30:00",
        "price": "1.10",
        "ratio": "0.5",
        "id": "12345678-1234-5678-1234-567812345678",
        "tags": ["a", "b"],
        "nothing": None,
        "flag": True,
        "count": 3,
        "7": "int key",
    }
    assert jsonable(result) == result


def test_jsonable_of_a_model_is_its_id_and_label(make_user):
    # given a user with a full name
    user = make_user("labelled", first_name="Ada", last_name="Lovelace")

    # when it is made JSON-safe
    value = jsonable(user)

    # then it is the key and the label people read
    assert value == {"id": user.pk, "label": "Ada Lovelace"}


def test_diff_keeps_only_changed_fields(make_user):
    # given a user
    user = make_user(job_title="Engineer", phone="1")

    # when new values are compared with the record
    changes = diff(user, {"job_title": "Engineer", "phone": "2"})

    # then only the changed field is listed, as (old, new)
    assert changes == {"phone": ("1", "2")}


def test_history_entries_are_kept_per_record(make_user):
    # given two users
    first, second = make_user(), make_user()

    # when only the first is edited
    _edit(first, 2)

    # then each has its own chain
    assert history_of(first).count() == 3
    assert history_of(second).count() == 1
    assert HistoryEntry.objects.count() == 4
