"""The start times a free window offers on the phone's day list: its start, then each hour."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.rules.start_times import earliest_start, start_times
from pole.bookings.rules.windows import Window

PARIS = ZoneInfo("Europe/Paris")
H = 60
DAY = date(2027, 3, 16)  # a fixed day: the rule is given `now`, never reads a clock
LONG_BEFORE = datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)


def hhmm(minutes: list[int]) -> list[str]:
    return [f"{m // H:02}:{m % H:02}" for m in minutes]


@pytest.mark.parametrize(
    ("window", "kwargs", "expected"),
    [
        # An empty day: every full hour that leaves the minimum before the end.
        ((8 * H, 20 * H), {}, [f"{h:02}:00" for h in range(8, 20)]),
        ((8 * H, 20 * H), {"min_length": 60}, [f"{h:02}:00" for h in range(8, 20)]),
        ((8 * H, 20 * H), {"min_length": 90}, [f"{h:02}:00" for h in range(8, 19)]),
        # The window's own start comes first, even off the hour; then the hours.
        ((14 * H + 30, 17 * H), {"step": 30}, ["14:30", "15:00", "16:00"]),
        ((14 * H + 30, 17 * H), {"step": 30, "min_length": 60}, ["14:30", "15:00", "16:00"]),
        ((14 * H + 30, 16 * H + 45), {"step": 15, "min_length": 60}, ["14:30", "15:00"]),
        # A step longer than an hour: one start per step.
        ((8 * H, 20 * H), {"step": 120}, ["08:00", "10:00", "12:00", "14:00", "16:00", "18:00"]),
        (
            (9 * H, 20 * H),
            {"step": 90},
            ["09:00", "10:30", "12:00", "13:30", "15:00", "16:30", "18:00", "19:30"],
        ),
        # Too short a window for anything past its start.
        ((10 * H, 10 * H + 45), {"min_length": 30}, ["10:00"]),
        ((10 * H, 10 * H + 20), {"min_length": 30}, []),
        # Up to midnight.
        ((22 * H, 24 * H), {}, ["22:00", "23:00"]),
    ],
)
def test_a_window_offers_its_start_then_each_hour_leaving_the_minimum(window, kwargs, expected):
    found = start_times(Window(*window), DAY, LONG_BEFORE, PARIS, **kwargs)
    assert hhmm(found) == expected


@pytest.mark.parametrize(
    ("now", "notice", "step", "expected"),
    [
        # Today at 13:20: nothing before 13:30 (the step), then the hours.
        (datetime(2027, 3, 16, 13, 20, tzinfo=PARIS), 0, 30, ["13:30", "14:00", "15:00"]),
        (datetime(2027, 3, 16, 13, 0, 1, tzinfo=PARIS), 0, 15, ["13:15", "14:00", "15:00"]),
        # Two hours of notice from 12:10: nothing before 14:15.
        (datetime(2027, 3, 16, 12, 10, tzinfo=PARIS), 120, 15, ["14:15", "15:00"]),
        # The notice reaches past the day: nothing at all.
        (datetime(2027, 3, 15, 18, 0, tzinfo=PARIS), 24 * H, 15, []),
        # The day after tomorrow with a day of notice: the whole window.
        (
            datetime(2027, 3, 14, 23, 59, tzinfo=PARIS),
            24 * H,
            15,
            ["12:00", "13:00", "14:00", "15:00"],
        ),
        # `now` in UTC: the wall clock is Paris's (13:20 UTC is 14:20 in March before DST).
        (datetime(2027, 3, 16, 13, 20, tzinfo=ZoneInfo("UTC")), 0, 30, ["14:30", "15:00"]),
    ],
)
def test_no_start_in_the_past_or_inside_the_notice(now, notice, step, expected):
    window = Window(12 * H, 16 * H)
    found = start_times(window, DAY, now, PARIS, step=step, min_length=30, notice=notice)
    assert hhmm(found) == expected


def test_the_earliest_start_of_a_day_across_the_spring_change_of_clocks():
    change = date(2027, 3, 28)  # 02:00 becomes 03:00 in Paris
    just_after = datetime(2027, 3, 28, 1, 5, tzinfo=ZoneInfo("UTC"))  # 03:05 in Paris
    assert earliest_start(change, just_after, PARIS, step=15) == 3 * H + 15
    assert earliest_start(change, just_after, PARIS, notice=60, step=15) == 4 * H + 15
    assert earliest_start(change + timedelta(days=1), just_after, PARIS) == 0
    assert earliest_start(change - timedelta(days=1), just_after, PARIS) == 24 * H + 1
