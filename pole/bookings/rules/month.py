"""A month at a glance: its weeks, and how full each day is (pure, wall minutes)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from pole.bookings.rules.windows import free_windows

# Fill levels, from an empty day to a full one; a closed day has none.
LEVEL_WORDS = ("libre", "peu occupé", "à moitié occupé", "très occupé", "complet")


def month_weeks(year: int, month: int) -> list[list[date | None]]:
    """The weeks of a month, Monday first; days of the months around it are None."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[day if day.month == month else None for day in week] for week in weeks]


def open_and_booked(
    opening: Sequence[tuple[int, int]],
    busy: Sequence[tuple[int, int, int]],
    closures: Sequence[tuple[int, ...]] = (),
    missing: Sequence[tuple[int, int]] = (),
    capacity: int = 1,
) -> tuple[int, int]:
    """Minutes a resource is open on a day (closures aside), and how many of them are taken.

    Taken means no unit left: a booking and its buffer, for a room; every unit out, for pooled
    equipment.
    """
    open_minutes = None if closures or missing else _measure(opening)
    if open_minutes is None:
        open_minutes = sum([w.end - w.start for w in free_windows(opening, (), closures, missing)])
    if not busy:
        return open_minutes, 0
    free = free_windows(opening, busy, closures, missing, capacity=capacity)
    return open_minutes, open_minutes - sum([w.end - w.start for w in free])


def _measure(intervals: Sequence[tuple[int, int]]) -> int | None:
    """Minutes inside any of the intervals, as free_windows counts them (None: ask it)."""
    total = reach = 0
    for a, b in sorted(intervals):
        if a < 0 or b > 1440:
            return None
        a = a if a > reach else reach
        if b > a:
            total += b - a
            reach = b
    return total


def fill_level(open_minutes: int, booked_minutes: int) -> int | None:
    """How full a day is, 0 (nothing booked) to 4 (three quarters or more); None if closed."""
    if open_minutes <= 0:
        return None
    if booked_minutes <= 0:
        return 0
    share = booked_minutes / open_minutes
    return 1 if share < 0.25 else 2 if share < 0.5 else 3 if share < 0.75 else 4


__all__ = ["LEVEL_WORDS", "fill_level", "month_weeks", "open_and_booked"]
