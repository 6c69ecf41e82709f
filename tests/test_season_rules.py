"""The season's plan as pure rules: when two requests clash, their days, the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.quotas.rules import QuotaRule
from pole.seasons import rules
from pole.timeutil import local_to_utc

SEP, JUN = date(2026, 9, 1), date(2027, 6, 30)


def slot(id=1, resource=1, days=(0,), start="18:00", end="20:00", first=SEP, last=JUN):  # noqa: A002
    return rules.Slot(
        id,
        resource,
        frozenset(days),
        time.fromisoformat(start),
        time.fromisoformat(end),
        first,
        last,
    )


@pytest.mark.parametrize(
    ("other", "buffer", "expected"),
    [
        (slot(2), 0, True),  # the very same need
        (slot(2, resource=2), 0, False),  # another room
        (slot(2, days=(1, 3)), 0, False),  # no common weekday
        (slot(2, days=(0, 3)), 0, True),  # one common weekday is enough
        (slot(2, start="20:00", end="22:00"), 0, False),  # back to back
        (slot(2, start="20:00", end="22:00"), 15, True),  # ...but the buffer keeps 15 min free
        (slot(2, start="20:15", end="22:00"), 15, False),  # the buffer respected
        (slot(2, start="16:00", end="18:00"), 0, False),  # ends as the other starts
        (slot(2, start="19:59", end="21:00"), 0, True),  # one minute of overlap
        (slot(2, first=date(2027, 1, 1)), 0, True),  # dates overlap in part
        (slot(2, first=date(2027, 7, 1), last=date(2027, 8, 31)), 0, False),  # after it
        (slot(2, first=date(2026, 6, 1), last=SEP), 0, True),  # one common day
        (slot(1), 0, False),  # a request does not clash with itself
    ],
)
def test_two_requests_clash_on_resource_weekday_hours_and_dates(other, buffer, expected):
    assert rules.clash(slot(1), other, buffer) is expected
    assert rules.clash(other, slot(1), buffer) is expected


def test_clashes_lists_each_pair_once_with_the_resource_buffer():
    slots = [slot(1), slot(2, start="20:00", end="21:00"), slot(3, resource=2), slot(4, days=(4,))]
    assert rules.clashes(slots, {1: 0}) == []
    assert rules.clashes(slots, {1: 30}) == [(1, 2)]
    assert rules.clashes([*slots, slot(5)], {1: 0}) == [(1, 5)]


def test_days_of_a_request_and_those_in_an_excluded_range():
    s = slot(days=(0, 3), first=date(2026, 12, 14), last=date(2027, 1, 10))
    days = rules.days_of(s)
    assert days[0] == date(2026, 12, 14) and days[-1] == date(2027, 1, 7)
    assert len(days) == 8
    christmas = [(date(2026, 12, 19), date(2027, 1, 3))]
    assert rules.excluded_days(s, christmas) == [
        date(2026, 12, 21),
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 12, 31),
    ]


def test_weekly_minutes_is_days_times_hours():
    assert rules.weekly_minutes(slot(days=(0, 2, 4))) == 360
    assert rules.weekly_minutes(slot(days=())) == 0


@pytest.mark.parametrize(
    ("s", "codes"),
    [
        (slot(), []),
        (slot(days=()), ["weekdays"]),
        (slot(start="20:00", end="20:00"), ["hours"]),
        (slot(first=date(2026, 8, 31)), ["outside"]),
        (slot(last=date(2027, 7, 1)), ["outside"]),
        (slot(first=date(2027, 3, 1), last=date(2027, 2, 1)), ["dates"]),
    ],
)
def test_a_request_stays_inside_the_season(s, codes):
    assert [r.code for r in rules.check_request(s, SEP, JUN)] == codes


DEADLINE = datetime(2026, 8, 20, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "now", "code"),
    [
        ("open", datetime(2026, 8, 20, 21, 59, tzinfo=UTC), None),
        ("open", DEADLINE, "deadline"),
        ("open", datetime(2026, 9, 1, tzinfo=UTC), "deadline"),
        ("published", datetime(2026, 8, 1, tzinfo=UTC), "published"),
    ],
)
def test_requests_are_entered_until_the_deadline_while_open(status, now, code):
    reason = rules.deadline_reason(DEADLINE, status, now)
    assert (reason.code if reason else None) == code


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 1), date(2027, 9, 1)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (datetime(2026, 8, 20, 22, 0, tzinfo=UTC), datetime(2027, 8, 20, 22, 0, tzinfo=UTC)),
    ],
)
def test_next_year_keeps_the_day_and_hour(day, expected):
    assert rules.next_year(day) == expected


PARIS = ZoneInfo("Europe/Paris")


def monthly(maximum=20):
    return QuotaRule(1, maximum, "hours", "month", frozenset({1}), ("resource", 1), "dans le hall")


def mondays(first: date, n: int, hours: int = 3) -> list[tuple[datetime, datetime]]:
    days = [first + timedelta(weeks=k) for k in range(n)]
    return [
        (local_to_utc(d, time(9), PARIS), local_to_utc(d, time(9 + hours), PARIS)) for d in days
    ]


def test_busiest_finds_the_fullest_month_of_a_season_request():
    # Mondays from 28 September: 1 in September, 4 in October, 2 in November.
    found = rules.busiest(monthly(), mondays(date(2026, 9, 28), 7), PARIS)
    window, used = found
    assert window.label == "octobre 2026" and used == 4 * 180
    assert rules.quota_line(monthly(), found) == (
        "jusqu'à 12 h sur 20 h (octobre 2026) dans le hall"
    )
    assert rules.quota_line(monthly(10), found).endswith("— dépassé")
    assert rules.busiest(monthly(), [], PARIS) is None


def test_busiest_counts_real_hours_across_the_clock_change():
    # Sunday 25 October 2026, 01:00 to 04:00 wall time lasts 4 real hours.
    night = [
        (
            local_to_utc(date(2026, 10, 25), time(1), PARIS),
            local_to_utc(date(2026, 10, 25), time(4), PARIS),
        )
    ]
    assert rules.busiest(monthly(), night, PARIS)[1] == 240
