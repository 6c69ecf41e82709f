"""When the building is full and when it is empty: booked hours over opening hours, by
weekday and hour of the day, for the heat map and its table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from pole.reports.rules.days import hour_pieces, irregular_days, weekday_counts
from pole.timeutil import combine_minutes, to_local

Hours = Mapping[str, Iterable]  # a resource's opening hours: {"0": [[480, 1140]], ...}


def _segments(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[tuple[int, int, int]]:
    """[start, end) cut at each hour: (weekday, wall minute where it starts, real minutes).

    Cut at UTC hours, which are the wall clock's hours in a zone a whole number of hours
    from UTC (Europe/Paris); the clock changes fall on them too.
    """
    cursor = start
    while cursor < end:
        following = (cursor.astimezone(UTC) + timedelta(hours=1)).replace(
            minute=0, second=0, microsecond=0
        )
        stop = min(end, following)
        local = to_local(cursor, tz)
        minutes = int((stop - cursor).total_seconds() // 60)
        if minutes:
            yield local.weekday(), local.hour * 60 + local.minute, minutes
        cursor = stop


def _within(first: int, length: int, intervals: Iterable) -> int:
    """Minutes of [first, first + length) (wall minutes of a day) inside the intervals."""
    return sum(max(0, min(first + length, b) - max(first, a)) for a, b in intervals)


def on_the_hour(hours: Hours, weekday: int) -> bool:
    """A room opens and closes on whole hours that weekday (08:00–12:00, not 08:30–12:00)."""
    return all(a % 60 == 0 and b % 60 == 0 for a, b in hours.get(str(weekday), ()))


def hour_grid_minutes(
    runs: Iterable[tuple[int, int, int, int, int, int, int]], rooms: Mapping[int, Hours]
) -> dict[tuple[int, int], int]:
    """Minutes booked within opening hours by (weekday, hour), from bookings within one
    ordinary local day on a weekday their room opens and closes on the hour, summed by
    (room, weekday, first hour, last hour): how many, their minutes in the first hour and
    in the last hour; the hours between are whole. Such an hour is open or shut as a whole,
    so it counts what a booking cut by the opening hours counts (as `weekly_heat` does)."""
    booked: dict[tuple[int, int], int] = defaultdict(int)
    covers: dict[tuple[int, int], list[int]] = {}
    for room, weekday, h1, h2, count, first, last in runs:
        cover = covers.get((room, weekday))
        if cover is None:  # how many of the day's opening intervals hold each hour
            cover = [0] * 24
            for a, b in rooms[room].get(str(weekday), ()):
                for hour in range(int(a) // 60, int(b) // 60):
                    cover[hour] += 1
            covers[room, weekday] = cover
        if cover[h1]:
            booked[weekday, h1] += first * cover[h1]
        if h2 > h1 and cover[h2]:
            booked[weekday, h2] += last * cover[h2]
        for hour in range(h1 + 1, h2):
            if cover[hour]:
                booked[weekday, hour] += 60 * count * cover[hour]
    return dict(booked)


def grid_key(room: int, weekday: int, first_hour: int, last_hour: int) -> int:
    """One integer for (room, weekday, first hour, last hour): what the database groups the
    bookings by (one sort key instead of four); `hour_grid_from_keys` reads it back."""
    return ((room * 8 + weekday) * 24 + first_hour) * 24 + last_hour


def hour_grid_from_keys(
    sums: Iterable[tuple[int, int, int, int]], rooms: Mapping[int, Hours]
) -> dict[tuple[int, int], int]:
    """`hour_grid_minutes` from sums by `grid_key`: (key, how many bookings, the sum of their
    first wall minutes, the sum of their last): in a group every booking starts in the same
    hour h1 and ends in the same hour h2, so its minutes in the first hour are
    count × (h1 + 1) × 60 − Σ m1 (Σ m2 − Σ m1 when h1 = h2), in the last
    Σ m2 − count × h2 × 60."""
    booked: dict[tuple[int, int], int] = defaultdict(int)
    covers: dict[int, list[int]] = {}
    for key, count, sum_m1, sum_m2 in sums:
        rest, h2 = divmod(key, 24)
        day_key, h1 = divmod(rest, 24)
        weekday = day_key % 8
        cover = covers.get(day_key)
        if cover is None:  # how many of the day's opening intervals hold each hour
            cover = [0] * 24
            for a, b in rooms[day_key // 8].get(str(weekday), ()):
                for hour in range(int(a) // 60, int(b) // 60):
                    cover[hour] += 1
            covers[day_key] = cover
        if h1 == h2:
            if cover[h1]:
                booked[weekday, h1] += (sum_m2 - sum_m1) * cover[h1]
            continue
        if cover[h1]:
            booked[weekday, h1] += (count * (h1 + 1) * 60 - sum_m1) * cover[h1]
        if cover[h2]:
            booked[weekday, h2] += (sum_m2 - count * h2 * 60) * cover[h2]
        for hour in range(h1 + 1, h2):
            if cover[hour]:
                booked[weekday, hour] += 60 * count * cover[hour]
    return dict(booked)


@dataclass(frozen=True)
class Cell:
    booked: int  # minutes
    open: int  # minutes

    @property
    def ratio(self) -> Fraction | None:
        return Fraction(self.booked, self.open) if self.open else None


def weekly_heat(
    uses: Iterable[tuple[datetime, datetime, Hours]],
    rooms: Iterable[Hours],
    first: date,
    last: date,
    tz: ZoneInfo,
    counted: Mapping[tuple[int, int], int] | None = None,
    closed: Iterable[tuple[datetime, datetime]] = (),
) -> dict[tuple[int, int], Cell]:
    """{(weekday, hour): Cell} over the period: each room's opening minutes, and the minutes
    booked within them (a booking outside opening hours fills nothing).

    `uses` are the bookings (start, end, their room's hours), already cut to the period;
    `counted` holds minutes booked already summed the same way elsewhere (by the database,
    for the bookings within one ordinary local day), by (weekday, hour); `closed` the
    opening hours closures took, which were not open after all.
    """
    booked: dict[tuple[int, int], int] = defaultdict(int, counted or {})
    opened: dict[tuple[int, int], int] = defaultdict(int)
    irregular = irregular_days(first - timedelta(days=1), last + timedelta(days=1), tz)
    for start, end, hours in uses:
        local_start, local_end = to_local(start, tz), to_local(end, tz)
        day = local_start.date()
        if local_end.date() == day and day not in irregular:
            # Within one 24-hour day: wall minutes are real minutes.
            weekday = day.weekday()
            m1 = local_start.hour * 60 + local_start.minute
            m2 = local_end.hour * 60 + local_end.minute
            for a, b in hours.get(str(weekday), ()):
                for hour, minutes in hour_pieces(max(a, m1), min(b, m2)):
                    booked[weekday, hour] += minutes
            continue
        for weekday, minute, length in _segments(start, end, tz):
            inside = _within(minute, length, hours.get(str(weekday), ()))
            if inside:
                booked[weekday, minute // 60] += inside
    odd = sorted(d for d in irregular if first <= d <= last)
    counts = weekday_counts(first, last, odd)
    for hours in rooms:
        for weekday in range(7):
            if not counts[weekday]:
                continue
            for a, b in hours.get(str(weekday), ()):
                for hour, minutes in hour_pieces(a, b):
                    opened[weekday, hour] += counts[weekday] * minutes
        for day in odd:  # a clock-change day, hour by hour
            for a, b in hours.get(str(day.weekday()), ()):
                opens = combine_minutes(day, a, tz, shift_gap=True)
                closes = combine_minutes(day, b, tz, shift_gap=True)
                for weekday, minute, length in _segments(opens, closes, tz):
                    opened[weekday, minute // 60] += length
    for start, end in closed:  # opening hours a closure took (`closed_hours`)
        local_start, local_end = to_local(start, tz), to_local(end, tz)
        day = local_start.date()
        whole = not (start.second or start.microsecond or end.second or end.microsecond)
        if whole and local_end.date() == day and day not in irregular:  # wall minutes are real
            weekday = day.weekday()
            m1 = local_start.hour * 60 + local_start.minute
            m2 = local_end.hour * 60 + local_end.minute
            for hour, minutes in hour_pieces(m1, m2):
                opened[weekday, hour] -= minutes
            continue
        for weekday, minute, length in _segments(start, end, tz):
            opened[weekday, minute // 60] -= length
    return {key: Cell(booked.get(key, 0), opened.get(key, 0)) for key in {*booked, *opened}}


def heat_level(ratio: Fraction | None) -> int:
    """The shade of a cell: 0 closed, 1 empty, then 2 to 5 by quarters (5: three quarters
    full or more)."""
    if ratio is None:
        return 0
    if ratio <= 0:
        return 1
    return 2 + min(3, int(ratio * 4))


@dataclass(frozen=True)
class HeatRow:
    weekday: int
    cells: list[tuple[int, Cell, int]]  # (hour, cell, shade)


def heat_rows(heat: Mapping[tuple[int, int], Cell]) -> tuple[list[int], list[HeatRow]]:
    """The hours some room is open (first to last), and a row per weekday open at all."""
    open_keys = [key for key, cell in heat.items() if cell.open]
    if not open_keys:
        return [], []
    hours = list(range(min(h for _, h in open_keys), max(h for _, h in open_keys) + 1))
    weekdays = sorted({d for d, _ in open_keys})
    empty = Cell(0, 0)
    rows = []
    for day in weekdays:
        cells = [(h, c, heat_level(c.ratio)) for h in hours for c in [heat.get((day, h), empty)]]
        rows.append(HeatRow(day, cells))
    return hours, rows
