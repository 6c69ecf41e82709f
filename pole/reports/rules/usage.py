"""Hours booked and used, occupancy and in-kind value, as the CCAS counts them.

Durations are real minutes (a night across the autumn change lasts an hour more); a booking
across midnight counts for each local day it covers, and a value applies by local day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.reports.rules.days import irregular_days, weekday_counts
from pole.timeutil import combine_minutes, local_day_bounds, to_local

ACTIVE = ("pending", "confirmed")
HALF_DAY_MINUTES = 4 * 60
LATE_CANCELLATION = timedelta(hours=48)
_INSTANT = timedelta(microseconds=1)


def _minutes_within(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    span = min(end, hi) - max(start, lo)
    return max(0, span.days * 1440 + span.seconds // 60)


def minutes_booked(status: str, start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    """A pending or confirmed booking counts its minutes within the period; cancelled and
    refused ones count none."""
    return _minutes_within(start, end, lo, hi) if status in ACTIVE else 0


def minutes_used(
    status: str, start: datetime, end: datetime, lo: datetime, hi: datetime, now: datetime
) -> int:
    """A room is used by a confirmed booking, for the part of it already past."""
    return _minutes_within(start, end, lo, min(hi, now)) if status == "confirmed" else 0


def daily_minutes(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, int]]:
    """The real minutes of [start, end) on each local day it covers (split at midnight)."""
    day = to_local(start, tz).date()
    if to_local(end - _INSTANT, tz).date() == day:
        return [(day, _minutes_within(start, end, start, end))] if end > start else []
    pieces: list[tuple[date, int]] = []
    while True:
        lo, hi = local_day_bounds(day, tz)
        if lo >= end:
            break
        minutes = _minutes_within(start, end, lo, hi)
        if minutes:
            pieces.append((day, minutes))
        day += timedelta(days=1)
    return pieces


def is_late_cancellation(start: datetime, cancelled_at: datetime | None) -> bool:
    """A cancellation is late when it comes less than 48 hours before the booking's start."""
    return cancelled_at is not None and start - cancelled_at < LATE_CANCELLATION


def opening_minutes(
    opening_hours: Mapping[str, Iterable], first: date, last: date, tz: ZoneInfo
) -> int:
    """Real minutes a resource is open between two local dates (both included)."""
    odd = sorted(irregular_days(first, last, tz))
    counts = weekday_counts(first, last, odd)
    total = sum(
        counts[weekday] * sum(b - a for a, b in opening_hours.get(str(weekday), ()))
        for weekday in range(7)
    )
    for day in odd:  # a clock-change day: its hours as the clock runs them
        for a, b in opening_hours.get(str(day.weekday()), ()):
            opens = combine_minutes(day, a, tz, shift_gap=True)
            closes = combine_minutes(day, b, tz, shift_gap=True)
            total += _minutes_within(opens, closes, opens, closes)
    return total


def closed_hours(
    opening_hours: Mapping[str, Iterable],
    closures: Iterable[tuple[datetime, datetime]],
    tz: ZoneInfo,
) -> list[tuple[datetime, datetime]]:
    """The parts of a room's opening hours its closures take (a public holiday, works): hours
    the room was not open after all. Overlapping closures count once."""
    merged: list[list[datetime]] = []
    for start, end in sorted(closures):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces = []
    for start, end in merged:
        day, last = to_local(start, tz).date(), to_local(end - _INSTANT, tz).date()
        while day <= last:
            for a, b in opening_hours.get(str(day.weekday()), ()):
                opens = combine_minutes(day, a, tz, shift_gap=True)
                closes = combine_minutes(day, b, tz, shift_gap=True)
                if max(opens, start) < min(closes, end):
                    pieces.append((max(opens, start), min(closes, end)))
            day += timedelta(days=1)
    return pieces


def closed_minutes(pieces: Iterable[tuple[datetime, datetime]]) -> int:
    return sum(_minutes_within(a, b, a, b) for a, b in pieces)


def occupancy(booked_minutes: int, open_minutes: int) -> Fraction | None:
    """Booked hours over opening hours; None when the resource was never open."""
    return Fraction(booked_minutes, open_minutes) if open_minutes > 0 else None


# In-kind value ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """What one hour (or a half-day, a day) of a resource is worth, in cents, from a date."""

    valid_from: date
    per_hour: int | None = None
    per_half_day: int | None = None
    per_day: int | None = None

    @property
    def by_the_hour(self) -> bool:
        return self.per_hour is not None


def value_in_force(values: Iterable[Value], day: date) -> Value | None:
    """The value of a day: the latest one that starts on or before it."""
    current = None
    for value in sorted(values, key=lambda v: v.valid_from):
        if value.valid_from <= day:
            current = value
    return current


def day_value(value: Value, minutes: int, units: int = 1) -> Fraction:
    """One day's use, in cents: by the hour, or as a half-day (up to 4 hours) or a day.

    Without a half-day price a short use counts as a day; without a day price a long one
    counts as two half-days. Equipment is valued per unit lent.
    """
    if minutes <= 0:
        return Fraction(0)
    if value.per_hour is not None:
        return Fraction(value.per_hour * minutes * units, 60)
    half, full = value.per_half_day, value.per_day
    if minutes <= HALF_DAY_MINUTES:
        price = half if half is not None else full
    else:
        price = full if full is not None else 2 * (half or 0)
    return Fraction((price or 0) * units)


def in_kind_value(uses: Mapping[tuple[date, int], int], values: Collection[Value]) -> int:
    """The value, in cents, of the minutes used ({(day, units): minutes}), each day at its
    own price: a price change applies from its date on, days before it keep the former price.

    A room is one unit, so its uses of a day add up (two 2-hour meetings make a half-day);
    equipment lent in different quantities the same day is valued lending by lending.
    """
    sixtieths = 0  # cents × 60: by the hour a value is rarely a whole number of cents
    ordered = sorted(values, key=lambda v: v.valid_from)  # once, not once a day
    for (day, units), minutes in uses.items():
        if minutes <= 0:
            continue
        value = None  # `value_in_force`: the latest that starts on or before the day
        for candidate in ordered:
            if candidate.valid_from <= day:
                value = candidate
        if value is None:
            continue
        if value.per_hour is not None:
            sixtieths += value.per_hour * minutes * units
        else:
            sixtieths += 60 * int(day_value(value, minutes, units))
    return (sixtieths + 30) // 60  # to the nearest cent, half up


def check_value(valid_from: date, existing: Collection[date], today: date) -> list[Reason]:
    """A value applies from its date on, never backwards: the first value of a resource may
    start on any date (to value the year so far), a later one starts today at the earliest."""
    if existing and valid_from < today:
        return [
            Reason(
                "retroactive",
                "valid_from",
                "Un changement de valeur s'applique à partir d'aujourd'hui au plus tôt : "
                "les périodes passées gardent leur valeur.",
            )
        ]
    return []
