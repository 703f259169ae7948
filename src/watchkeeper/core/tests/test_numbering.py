"""Human record numbers: per prefix, in order, gap-free, and unique under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from watchkeeper.core.models import NumberSequence
from watchkeeper.core.numbering import next_number


class Failed(Exception):
    """Something after the number was taken went wrong, so the transaction rolls back."""


def _take(prefix: str) -> str:
    with transaction.atomic():
        return next_number(prefix)


def _take_then_fail(prefix: str, taken: list[str]) -> None:
    with transaction.atomic():
        taken.append(next_number(prefix))
        raise Failed


@pytest.mark.django_db
def test_numbers_start_at_1001_and_count_up():
    # given no number handed out yet

    # when three numbers are taken
    numbers = [_take("INC") for _ in range(3)]

    # then they are consecutive, seven digits after the prefix
    assert numbers == ["INC0001001", "INC0001002", "INC0001003"]
    assert NumberSequence.objects.get(prefix="INC").last_value == 1003


@pytest.mark.django_db
def test_each_prefix_counts_on_its_own():
    # given two incident numbers taken
    _take("INC")
    _take("INC")

    # when numbers for other prefixes are taken
    request, incident, problem = _take("REQ"), _take("INC"), _take("PRB")

    # then each prefix has its own sequence
    assert (request, incident, problem) == ("REQ0001001", "INC0001003", "PRB0001001")


@pytest.mark.django_db
def test_a_rolled_back_creation_gives_its_number_back():
    # given one number taken
    assert _take("CHG") == "CHG0001001"

    # when a creation takes a number and then fails
    taken: list[str] = []
    with pytest.raises(Failed):
        _take_then_fail("CHG", taken)

    # then the next creation gets the same number: no gap
    assert taken == ["CHG0001002"]
    assert _take("CHG") == "CHG0001002"


@pytest.mark.django_db
def test_a_rolled_back_first_number_leaves_no_counter():
    # given a prefix never used
    # when its first creation rolls back
    with pytest.raises(Failed):
        _take_then_fail("EVT", [])

    # then the prefix starts afresh
    assert not NumberSequence.objects.filter(prefix="EVT").exists()
    assert _take("EVT") == "EVT0001001"


@pytest.mark.django_db(transaction=True)
def test_next_number_outside_a_transaction_is_refused():
    # given no transaction
    # when a number is taken
    with pytest.raises(RuntimeError, match="transaction"):
        next_number("INC")

    # then no number was used up
    assert not NumberSequence.objects.filter(prefix="INC").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["first-use", "counter-exists"])
def test_concurrent_creations_never_share_a_number(existing):
    # given a prefix used before or not, and eight threads ready to start together
    if existing:
        _take("INC")
    threads_count, per_thread = 8, 5
    start = threading.Barrier(threads_count)
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                with transaction.atomic():
                    number = next_number("INC")
                with lock:
                    taken.append(number)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # when they all take numbers at the same time
    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every number is distinct and together they form one contiguous range
    assert errors == []
    first = 1002 if existing else 1001
    expected = [f"INC{value:07d}" for value in range(first, first + threads_count * per_thread)]
    assert sorted(taken) == expected
