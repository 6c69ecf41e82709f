"""The heat map's sums by one integer key (what the report's statement groups by) fill the same
cells as the sums by (room, weekday, first hour, last hour); day numbers read back."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

import pytest

from pole.reports import rules
from pole.reports.services.sql import day_number, day_of

SPLIT = {str(d): [[480, 720], [840, 1140]] for d in range(6)}
OVERLAPPING = {str(d): [[480, 720], [600, 780]] for d in range(7)}
ALWAYS = {str(d): [[0, 1440]] for d in range(7)}
ROOMS = {1: SPLIT, 2: OVERLAPPING, 7: ALWAYS}


@pytest.mark.parametrize(
    ("room", "weekday", "first_hour", "last_hour"),
    [(1, 0, 0, 0), (1, 6, 23, 23), (7, 3, 8, 17), (1234, 5, 0, 23), (2, 2, 12, 12)],
)
def test_a_grid_key_is_one_integer_per_room_weekday_and_hours(
    room: int, weekday: int, first_hour: int, last_hour: int
) -> None:
    key = rules.grid_key(room, weekday, first_hour, last_hour)
    assert key == ((room * 8 + weekday) * 24 + first_hour) * 24 + last_hour
    rest, h2 = divmod(key, 24)
    day_key, h1 = divmod(rest, 24)
    assert (day_key // 8, day_key % 8, h1, h2) == (room, weekday, first_hour, last_hour)


def _bookings(seed: int) -> list[tuple[int, int, int, int]]:
    """(room, weekday, first wall minute, last wall minute) of bookings within one day."""
    draw = random.Random(seed)
    found = []
    for _ in range(400):
        m1 = draw.randrange(0, 1439)
        m2 = draw.randrange(m1 + 1, min(1440, m1 + draw.choice([30, 90, 300, 900])) + 1)
        found.append((draw.choice(list(ROOMS)), draw.randrange(7), m1, m2))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sums_by_key_fill_the_cells_the_sums_by_hours_fill(seed: int) -> None:
    by_hours: dict[tuple[int, int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    by_key: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for room, weekday, m1, m2 in _bookings(seed):
        h1, h2 = m1 // 60, (m2 - 1) // 60
        run = by_hours[room, weekday, h1, h2]
        run[0] += 1
        run[1] += m2 - m1 if h1 == h2 else (h1 + 1) * 60 - m1
        run[2] += 0 if h1 == h2 else m2 - h2 * 60
        sums = by_key[rules.grid_key(room, weekday, h1, h2)]
        sums[0] += 1
        sums[1] += m1
        sums[2] += m2
    expected = rules.hour_grid_minutes([(*k, *v) for k, v in by_hours.items()], ROOMS)
    found = rules.hour_grid_from_keys([(k, *v) for k, v in by_key.items()], ROOMS)
    assert found == expected
    assert sum(found.values()) > 0


def test_a_room_shut_that_weekday_fills_nothing() -> None:
    key = rules.grid_key(1, 6, 10, 12)  # SPLIT is shut on Sundays
    assert rules.hour_grid_from_keys([(key, 2, 2 * 610, 2 * 750)], ROOMS) == {}


def test_one_hour_and_several_hours_by_key() -> None:
    inside = rules.grid_key(7, 2, 9, 9)  # 09:10–09:40 and 09:00–09:30
    across = rules.grid_key(7, 2, 9, 11)  # 09:30–11:15
    assert rules.hour_grid_from_keys([(inside, 2, 550 + 540, 580 + 570)], ROOMS) == {(2, 9): 60}
    assert rules.hour_grid_from_keys([(across, 1, 570, 675)], ROOMS) == {
        (2, 9): 30,
        (2, 10): 60,
        (2, 11): 15,
    }


@pytest.mark.parametrize(
    "day", [date(1970, 1, 1), date(2026, 3, 29), date(2027, 10, 31), date(2099, 12, 31)]
)
def test_a_day_number_reads_back(day: date) -> None:
    assert day_of(day_number(day)) == day
