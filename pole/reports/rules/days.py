"""Counting days fast: most local days last 24 hours, so a period's weekdays can be counted
and only its clock-change days (23 or 25 hours) walked through one by one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def irregular_days(first: date, last: date, tz: ZoneInfo) -> frozenset[date]:
    """The days of the period whose midnight and next midnight differ in UTC offset (a pure
    function of its arguments, so computed once per period)."""
    found: set[date] = set()
    day = first
    offset = datetime(day.year, day.month, day.day, tzinfo=tz).utcoffset()
    while day <= last:
        following = day + timedelta(days=1)
        next_offset = datetime(
            following.year, following.month, following.day, tzinfo=tz
        ).utcoffset()
        if next_offset != offset:
            found.add(day)
        day, offset = following, next_offset
    return frozenset(found)


def weekday_counts(first: date, last: date, skip: Iterable[date] = ()) -> list[int]:
    """How many Mondays, Tuesdays… the period holds, leaving out the days to skip."""
    total = (last - first).days + 1
    counts = [0] * 7
    if total <= 0:
        return counts
    weeks, rest = divmod(total, 7)
    for weekday in range(7):
        counts[weekday] = weeks
    for i in range(rest):
        counts[(first.weekday() + i) % 7] += 1
    for day in skip:
        if first <= day <= last:
            counts[day.weekday()] -= 1
    return counts


def hour_pieces(a: int, b: int) -> Iterator[tuple[int, int]]:
    """Wall minutes [a, b) of a day cut at each hour: (hour, minutes in it)."""
    while a < b:
        hour = a // 60
        following = min(b, (hour + 1) * 60)
        yield hour, following - a
        a = following


@lru_cache(maxsize=64)
def offset_changes(
    lo: datetime, hi: datetime, tz: ZoneInfo
) -> tuple[int, tuple[tuple[datetime, int], ...]]:
    """The zone's UTC offset at `lo` in minutes, and each instant of [lo, hi) where it
    changes with the offset from then on: what a database without time zones needs to tell
    local time from UTC."""
    step = timedelta(minutes=15)  # offsets change on a quarter hour in every zone we serve

    def offset(instant: datetime) -> int:
        return int(instant.astimezone(tz).utcoffset().total_seconds() // 60)

    first = offset(lo)
    changes: list[tuple[datetime, int]] = []
    current = first
    local_lo, local_hi = lo.astimezone(tz).date(), hi.astimezone(tz).date()
    for day in sorted(irregular_days(local_lo - timedelta(days=1), local_hi, tz)):
        cursor = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(lo.tzinfo)
        cursor -= timedelta(hours=3)
        for _ in range(30 * 4):
            if lo <= cursor < hi and offset(cursor) != current:
                current = offset(cursor)
                changes.append((cursor, current))
            cursor += step
    return first, tuple(changes)
