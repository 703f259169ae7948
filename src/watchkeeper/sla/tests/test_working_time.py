"""Business time on hand-picked days: weekends, holidays, nights, both daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from watchkeeper.sla.working_time import UTC, WorkingTime

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = ((dt.time(9), dt.time(17)),)
OFFICE = WorkingTime(zone=BERLIN, weekly={day: NINE_TO_FIVE for day in range(5)})


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def hours(seconds: float) -> float:
    return seconds / 3600


def test_a_working_week_has_forty_hours():
    monday = berlin(2026, 11, 23)
    assert hours(OFFICE.seconds_between(monday, monday + dt.timedelta(days=7))) == 40


def test_time_outside_hours_does_not_count():
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday
    assert hours(OFFICE.seconds_between(berlin(2026, 11, 27, 16), berlin(2026, 11, 30, 10))) == 2


def test_adding_business_time_skips_the_weekend():
    # four hours from Friday 15:00: two on Friday, two on Monday morning
    due = OFFICE.add(berlin(2026, 11, 27, 15), 4 * 3600)
    assert due == berlin(2026, 11, 30, 11).astimezone(UTC)


def test_adding_from_a_closed_time_starts_at_the_next_opening():
    assert OFFICE.add(berlin(2026, 11, 28, 12), 1800) == berlin(2026, 11, 30, 9, 30)


def test_a_holiday_is_closed_and_an_exception_replaces_the_day():
    calendar = WorkingTime(
        zone=BERLIN,
        weekly={day: NINE_TO_FIVE for day in range(5)},
        closed=frozenset({dt.date(2026, 12, 25)}),
        exceptions={dt.date(2026, 12, 24): ((dt.time(9), dt.time(12)),)},
    )
    week = calendar.seconds_between(berlin(2026, 12, 21), berlin(2026, 12, 28))
    assert hours(week) == 8 * 3 + 3  # Mon-Wed full, Christmas Eve morning, Christmas closed


def test_a_night_shift_belongs_to_the_day_it_starts():
    # Monday 22:00 to Tuesday 06:00; a holiday on Tuesday does not cut Monday's night
    nights = WorkingTime(
        zone=BERLIN,
        weekly={0: ((dt.time(22), dt.time(6)),)},
        closed=frozenset({dt.date(2026, 11, 24)}),
    )
    span = nights.seconds_between(berlin(2026, 11, 23), berlin(2026, 11, 25))
    assert hours(span) == 8
    assert list(nights.open_intervals(berlin(2026, 11, 23), berlin(2026, 11, 25))) == [
        (berlin(2026, 11, 23, 22).astimezone(UTC), berlin(2026, 11, 24, 6).astimezone(UTC))
    ]


@pytest.mark.parametrize(
    ("date", "expected_hours"),
    [
        (dt.date(2026, 3, 29), 2),  # clocks jump from 02:00 to 03:00: 01:00-04:00 lasts 2 h
        (dt.date(2026, 10, 25), 4),  # 02:00-03:00 happens twice: 01:00-04:00 lasts 4 h
        (dt.date(2026, 6, 14), 3),
    ],
)
def test_daylight_saving_changes_shorten_or_lengthen_a_night(date, expected_hours):
    sunday_night = WorkingTime(zone=BERLIN, weekly={6: ((dt.time(1), dt.time(4)),)})
    start = dt.datetime.combine(date, dt.time(0), tzinfo=UTC) - dt.timedelta(hours=3)
    span = sunday_night.seconds_between(start, start + dt.timedelta(days=1))
    assert hours(span) == expected_hours


def test_always_open_counts_every_second():
    always = WorkingTime(zone=BERLIN, always_open=True, closed=frozenset({dt.date(2026, 12, 25)}))
    start = berlin(2026, 12, 24, 12)
    assert hours(always.seconds_between(start, start + dt.timedelta(days=2))) == 48
    assert always.add(start, 3600) == start + dt.timedelta(hours=1)


def test_a_calendar_that_never_opens_has_no_due_time():
    never = WorkingTime(zone=BERLIN)
    assert never.seconds_between(berlin(2026, 1, 1), berlin(2027, 1, 1)) == 0
    with pytest.raises(ValueError, match="does not open"):
        never.add(berlin(2026, 1, 1), 60)
