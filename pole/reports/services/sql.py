"""The report's sums as one SQL statement, the same on SQLite and PostgreSQL: instants as whole
seconds since 1970 (UTC), local wall time as whole minutes since 1970 in the site's zone.

SQLite knows no time zones, so both databases are told the zone's offsets over the period
(`rules.days.offset_changes`) instead of asking them: the same arithmetic runs on both. The
statement is text: its shape changes with the period (clock changes, values, opening hours)
and every number written into it is an integer computed here, never a user's input.
"""

# ruff: noqa: S608 (every value written into the text is an int computed here; see above)
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from pole.core.stored_time import epoch_sql
from pole.db import UTCDateTime
from pole.reports.rules.days import offset_changes
from pole.reports.rules.heat import on_the_hour

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = _EPOCH.date()
DAY = 1440  # minutes
FIGURES, HOURLY, HEAT, ROWS, DAILY = 0, 1, 2, 3, 4  # the kinds of rows the statement answers
ACTIVE = "('pending', 'confirmed')"
CONFIRMED, CANCELLED, REJECTED = "'confirmed'", "'cancelled'", "'rejected'"


def seconds(instant: datetime) -> int:
    """Whole seconds since 1970, as the database counts them (fraction dropped)."""
    return int((instant - _EPOCH).total_seconds() // 1)


def instant(value: int) -> datetime:
    return _EPOCH + timedelta(seconds=value)


def day_number(day: date) -> int:
    """A local date as its number of days since 1970 (1 January 1970 was a Thursday)."""
    return (day - _EPOCH.date()).days


def day_of(number: int) -> date:
    """The local date of a day number (`day_number` read back)."""
    return _EPOCH_DAY + timedelta(days=number)


@dataclass(frozen=True)
class Stretch:
    """Where a resource valued by the hour had one value: [start, stop) in seconds (the
    statement stops counting at the moment the report is read)."""

    resource_id: int
    index: int
    start: int
    stop: int


def _ints(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "-1"  # no id nor day is -1


class Sums:
    """Build the statement for the database `dialect` over [lo, hi), used up to `used`."""

    def __init__(self, dialect: str, tz: ZoneInfo, lo: datetime, hi: datetime) -> None:
        self.sqlite = dialect == "sqlite"
        self.lo, self.hi = seconds(lo), seconds(hi)
        self.bounds = lo, hi
        # A day either side: a booking across the period's edges reads its local time too.
        self.offsets = offset_changes(lo - timedelta(days=1), hi + timedelta(days=1), tz)

    # Dialect pieces --------------------------------------------------------------------------

    def _seconds(self, column: str) -> str:
        return epoch_sql(column, sqlite=self.sqlite)

    def _max(self, a: str, b: str | int) -> str:
        return f"{'MAX' if self.sqlite else 'GREATEST'}({a}, {b})"

    def _min(self, a: str, b: str | int) -> str:
        return f"{'MIN' if self.sqlite else 'LEAST'}({a}, {b})"

    def _sum(self, a: str) -> str:
        """A sum as an integer (PostgreSQL sums integers as numeric: Decimal in Python)."""
        return f"SUM({a})" if self.sqlite else f"CAST(SUM({a}) AS BIGINT)"

    def _mod(self, a: str, b: int) -> str:
        return f"(({a}) % {b})" if self.sqlite else f"MOD({a}, {b})"

    def _minutes(self, lo: int, hi: int | str) -> str:
        """Whole minutes of a booking [s, e) within [lo, hi), as `rules.minutes_booked`."""
        return f"({self._max(self._min('e', hi) + ' - ' + self._max('s', lo), 0)} / 60)"

    def _before_start(self) -> str:
        """The booking's start less `rules.LATE_CANCELLATION` (48 hours), to the microsecond:
        a cancellation after it is late. SQLite stores naive UTC text of a fixed shape
        ('2027-03-02 09:30:00.000000'), whose order is time's: two days off its date part,
        its time part kept (the date part alone, so that no rounding of the fraction moves
        it)."""
        if self.sqlite:
            return "(date(substr(booking.start, 1, 10), '-2 days') || substr(booking.start, 11))"
        return "(booking.start - INTERVAL '48 hours')"

    def _local(self, column: str) -> str:
        """Wall-clock minutes since 1970 of an instant in seconds."""
        first, changes = self.offsets
        if not changes:
            return f"({column} / 60 + {first})"
        cases = []
        for at, offset in changes:
            cases.append(f"WHEN {column} < {seconds(at)} THEN {first}")
            first = offset
        return f"({column} / 60 + CASE {' '.join(cases)} ELSE {first} END)"

    # The statement ---------------------------------------------------------------------------

    def statement(
        self,
        resource_ids: list[int],
        rooms: Mapping[int, Mapping[str, Iterable]],
        stretches: list[Stretch],
        daily: list[int],
        irregular: list[date],
        used: datetime,
    ) -> sa.TextClause:
        """FIGURES (organisation, resource, minutes booked, used, bookings, cancellations,
        refusals, late cancellations), counts being of bookings that began in the period;
        HOURLY (organisation, resource, stretch, units, minutes used in it);
        HEAT (`rules.grid_key` of room, weekday, first hour and last hour, bookings, the sum
        of their first wall minutes, of their last) of the bookings within one ordinary local
        day, on a weekday the room opens and closes on the hour (`rules.hour_grid_from_keys`
        clips them to its hours);
        DAILY (organisation, resource, local day number, units, minutes used) of the bookings
        used within one ordinary local day on a resource valued by the half-day or the day;
        ROWS (organisation, resource, start, end, units, for the heat, for the value) of the
        bookings the database does not sum: across midnight or on a clock-change day, or on
        a room's weekday whose hours are not whole hours (heat), or used across midnight or on
        a clock-change day on a resource valued by the half-day or the day (whose price
        depends on each day's total)."""
        lo, hi, until = self.lo, self.hi, min(self.hi, seconds(used))
        # `until` is bound, not written: the text stays the same all through a period, so the
        # databases' statement caches (SQLite's, psycopg's prepared statements) keep it.
        sum_, used_minutes = self._sum, self._minutes(lo, ":until")
        parts = [
            f"SELECT {FIGURES}, org, res,"
            f" {sum_(f'CASE WHEN status IN {ACTIVE} THEN {self._minutes(lo, hi)} ELSE 0 END')},"
            f" {sum_(f'CASE WHEN status = {CONFIRMED} THEN {used_minutes} ELSE 0 END')},"
            f" {sum_(f'CASE WHEN s >= {lo} AND status IN {ACTIVE} THEN 1 ELSE 0 END')},"
            f" {sum_(f'CASE WHEN s >= {lo} AND status = {CANCELLED} THEN 1 ELSE 0 END')},"
            f" {sum_(f'CASE WHEN s >= {lo} AND status = {REJECTED} THEN 1 ELSE 0 END')},"
            f" {sum_(f'CASE WHEN s >= {lo} THEN late ELSE 0 END')}"
            " FROM b GROUP BY org, res"
        ]
        stretch_rows = ", ".join(
            f"({int(x.resource_id)}, {int(x.index)}, {int(x.start)}, {int(x.stop)})"
            for x in stretches
        )
        if stretches:  # every stretch in one pass over the bookings
            stop = self._min(self._min("b.e", "t.z"), ":until")
            inside = self._max(stop + " - " + self._max("b.s", "t.a"), 0)
            parts.append(
                f"SELECT {HOURLY}, b.org, b.res, t.i, b.units, {sum_(f'{inside} / 60')}, 0, 0, 0"
                " FROM b JOIN t ON t.r = b.res AND b.s < t.z AND b.e > t.a"
                " WHERE b.status = 'confirmed' AND b.s < :until"
                " GROUP BY b.org, b.res, t.i, b.units"
            )
        odd = _ints(day_number(d) for d in irregular)
        ordinary = f"l.first_day = l.last_day AND l.first_day NOT IN ({odd})"
        heat = f"l.res IN ({_ints(rooms)}) AND l.status IN {ACTIVE} AND l.e > l.s"
        grid, uneven = [], []  # room × 8 + weekday: opening hours on the hour, or not
        for room, hours in rooms.items():
            for weekday in range(7):
                if hours.get(str(weekday)):
                    key = int(room) * 8 + weekday
                    (grid if on_the_hour(hours, weekday) else uneven).append(key)
        if grid:
            parts.append(  # one integer key: `rules.grid_key`, read by `hour_grid_from_keys`
                f"SELECT {HEAT}, k, COUNT(*), {sum_('m1')}, {sum_('m2')}, 0, 0, 0, 0"
                " FROM (SELECT ((l.res * 8 + l.wd) * 24 + l.m1 / 60) * 24 + (l.m2 - 1) / 60 AS k,"
                f" l.m1, l.m2 FROM l WHERE {heat} AND {ordinary}"
                f" AND l.res * 8 + l.wd IN ({_ints(grid)})) AS g GROUP BY k"
            )
        apart = apart_day = f"NOT ({ordinary})"
        if uneven:
            apart = f"({apart} OR l.res * 8 + l.wd IN ({_ints(uneven)}))"
        across = f"({heat} AND {apart})" if rooms else "1 = 0"
        valued = (
            f"(l.res IN ({_ints(daily)}) AND l.status = 'confirmed' AND l.s < :until)"
            if daily and until > lo
            else "1 = 0"
        )
        if daily and until > lo:  # used within one ordinary local day: summed by that day
            parts.append(
                f"SELECT {DAILY}, org, res, first_day, units,"
                f" {sum_(self._minutes(lo, ':until'))}, 0, 0, 0"
                f" FROM l WHERE {valued} AND {ordinary} GROUP BY org, res, first_day, units"
            )
            valued = f"({valued} AND {apart_day})"
        parts.append(
            f"SELECT {ROWS}, org, res, s, e, units,"
            f" CASE WHEN {across} THEN 1 ELSE 0 END, CASE WHEN {valued} THEN 1 ELSE 0 END, 0"
            f" FROM l WHERE {across} OR {valued}"
        )
        end = '"end"'
        sql = (
            "WITH b AS MATERIALIZED (SELECT organisation_id AS org, resource_id AS res, status,"
            f" quantity AS units, {self._seconds('start')} AS s, {self._seconds(end)} AS e,"
            f" CASE WHEN status = {CANCELLED} THEN (SELECT CASE WHEN MAX(event.at) >"
            f" {self._before_start()} THEN 1 ELSE 0 END FROM event"
            " WHERE event.booking_id = booking.id AND event.kind = 'booking.cancelled')"
            " ELSE 0 END AS late"
            f" FROM booking WHERE resource_id IN ({_ints(resource_ids)})"
            ' AND start < :hi AND "end" > :lo),'
            # Local wall time, once per booking: its first and last local day (as day
            # numbers), the weekday it starts on, its first and last wall minute.
            " l AS MATERIALIZED (SELECT org, res, status, units, s, e,"
            f" ls / {DAY} AS first_day, le / {DAY} AS last_day,"
            f" {self._mod(f'ls / {DAY} + 3', 7)} AS wd,"
            f" {self._mod('ls', DAY)} AS m1, {self._mod('le', DAY)} AS m2"
            f" FROM (SELECT b.*, {self._local('s')} AS ls, {self._local('e')} AS le FROM b) AS w)"
            + (f", t(r, i, a, z) AS (VALUES {stretch_rows})" if stretches else "")
            + " "
            + " UNION ALL ".join(parts)
        )
        return sa.text(sql).bindparams(
            sa.bindparam("lo", self.bounds[0], type_=UTCDateTime()),
            sa.bindparam("hi", self.bounds[1], type_=UTCDateTime()),
            sa.bindparam("until", until, type_=sa.BigInteger()),
        )
