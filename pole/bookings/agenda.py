"""The building's day and a resource's week: load the period in one query, then lay it out.

Everything the grids show comes from three queries (resources, bookings with their
organisations, closures); the layout itself is the pure pole.bookings.grid. The result is
plain rows of plain cells, every link and label already written: the template only prints
them (a day has some 150 cells, a week more, and each call or lookup in Jinja adds up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import Markup

from pole import permissions
from pole.bookings import grid, services
from pole.bookings.agenda_rows import BlockView, rows_html_of
from pole.bookings.grid_links import Head, fixed_url, link_pattern
from pole.bookings.wall_time import missing_times
from pole.core.html import escape_html
from pole.db import db, utcnow
from pole.formatting import HHMM, format_date
from pole.resources.models import Closure, Resource, Site
from pole.timeutil import (
    MINUTES_PER_DAY,
    local_day_bounds,
    minutes_of_day,
    to_local,
)

# Free time is offered in cells of at least half an hour: big enough to tap on a phone.
MIN_CELL = 30


def today(site: Site, now: datetime | None = None) -> date:
    return to_local(now or utcnow(), site.tz).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Agenda:
    grid: grid.Grid
    heads: list[Head]
    scroll_row: int | None = None  # the row a script scrolls to first (opening, or now)
    columns: list[grid.Column] = field(default_factory=list)  # for the phone's day list

    @property
    def is_empty(self) -> bool:
        return self.grid.is_empty

    @property
    def rows_html(self) -> Markup:
        """The table's body, rows and cells written (agenda_rows.rows_html_of)."""
        return rows_html_of(self.grid, self.scroll_row)


def _scroll_row(laid_out: grid.Grid, columns_opening: list, now_minute: int | None) -> int | None:
    """Where the day really starts: the first opening after midnight, or an hour ago today."""
    starts = [start for opening in columns_opening for start, _ in opening if start > 0]
    minute = min(starts) if starts else None
    if now_minute is not None:
        minute = max(minute or 0, now_minute - 60)
    if minute is None:
        return None
    for index, row in enumerate(laid_out.rows):
        if row.end > minute:
            return index or None
    return None


def _wall(instant: datetime, day: date, tz: ZoneInfo) -> int:
    """Wall-clock minute of `instant` counted from the start of `day`, kept within the day."""
    # Written out: three per booking and two per closure of every column of a month.
    local = instant.astimezone(tz)  # instants from the database are aware (UTCDateTime)
    minutes = (local.date() - day).days * MINUTES_PER_DAY + local.hour * 60 + local.minute
    return 0 if minutes < 0 else MINUTES_PER_DAY if minutes > MINUTES_PER_DAY else minutes


class DayKey(NamedTuple):
    """A column's resource and day, for a page that only counts (the month): no links to build."""

    resource: Resource
    day: date


class _Shape(NamedTuple):
    """What the columns read of a resource, read once: a month has 30 columns per resource."""

    opening: list[list[tuple[int, int]]]  # by weekday, Monday first (the days shown only)
    quantity: int
    granularity: int
    buffer: int
    min_length: int
    max_days_ahead: int
    min_notice: int

    @classmethod
    def of(cls, resource: Resource, weekdays: Container[int] = range(7)) -> _Shape:
        """The resource's shape; its opening hours on `weekdays` only (a day view shows one)."""
        hours = resource.opening_hours  # read once (Resource.hours_for reads it per weekday)
        return cls(
            [
                [tuple(interval) for interval in hours.get(str(d), [])] if d in weekdays else []
                for d in range(7)
            ],
            resource.quantity,
            resource.granularity_minutes,
            resource.buffer_minutes,
            resource.min_duration_minutes,
            resource.max_days_ahead,
            resource.min_notice_minutes,
        )


class _Limits(NamedTuple):
    """How far ahead and how soon a resource may be booked, seen at `now` (once per page)."""

    last_day: date  # the horizon: later days cannot be booked
    earliest_day: date  # the day the minimum notice ends on
    earliest_minute: int  # and its first bookable wall minute, on the booking grid

    @classmethod
    def of(cls, shape: _Shape, tz: ZoneInfo, now: datetime) -> _Limits:
        earliest = to_local(now + timedelta(minutes=shape.min_notice), tz)
        step = max(shape.granularity, 1)
        minutes = minutes_of_day(earliest) + (1 if earliest.second or earliest.microsecond else 0)
        return cls(
            to_local(now, tz).date() + timedelta(days=shape.max_days_ahead),
            earliest.date(),
            -(-minutes // step) * step,
        )


def _bookable_from(limits: _Limits, day: date) -> int:
    """First wall minute of the day that may still be booked (notice and horizon included)."""
    if day > limits.last_day or limits.earliest_day > day:
        return MINUTES_PER_DAY + 1
    if limits.earliest_day < day:
        return 0
    return limits.earliest_minute


def _when(booking: services.Booked, tz: ZoneInfo) -> str:
    # astimezone, not to_local: instants from the database are aware (UTCDateTime).
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    if start.date() == end.date() or (end - start <= timedelta(days=1) and end.time() == end.min):
        return f"{HHMM[start.hour * 60 + start.minute]}–{HHMM[end.hour * 60 + end.minute]}"
    return f"du {format_date(start, 'dd/MM HH:mm')} au {format_date(end, 'dd/MM HH:mm')}"


def _block_view(
    booking: services.Booked, reading: permissions.BookingReading, tz: ZoneInfo, show_url: str
) -> BlockView:
    # What services.booking_label writes, with what the viewer may read read once for the page
    # (permissions.booking_reading; tests/test_permissions_reading.py compares the labels).
    if reading.sees_details(booking):
        label = f"{booking.title} ({booking.organisation.short_name})"
    else:
        label = f"Réservé — {booking.organisation.name}"
    return BlockView(
        booking.organisation_id,
        booking.is_pending,
        label,
        _when(booking, tz),
        # A visitor has no page to open for a private booking: no dead link to a 404.
        show_url.format(booking.id) if reading.may_open(booking) else "",
    )


_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)


def _days_covered(start: datetime, end: datetime, tz: ZoneInfo, first: date, last: date) -> list:
    """The local days from first to last that the span [start, end) reaches into."""
    day = start.astimezone(tz).date()
    until = (end - _TICK).astimezone(tz).date()
    if day == until:  # most bookings: one day
        return [day] if first <= day <= last else []
    day, until = max(day, first), min(until, last)
    days = []
    while day <= until:
        days.append(day)
        day += _DAY
    return days


# A day's bounds and skipped wall times depend on the day and the zone's rules alone: worked
# out once per process (a week asks for 7 days, a month for 30), never anything booked.
_day_bounds = lru_cache(maxsize=4096)(local_day_bounds)


@lru_cache(maxsize=4096)
def _missing_times(day: date, tz: ZoneInfo) -> tuple[tuple[int, int], ...]:
    return tuple(missing_times(day, tz, _day_bounds(day, tz)))


@cache
def _closures_query() -> sa.Select:
    """The closures of a site and its resources over a period, as plain rows (built once)."""
    return (
        sa.select(Closure.resource_id, Closure.start, Closure.end, Closure.reason)
        .where(
            Closure.site_id == sa.bindparam("site_id"),
            Closure.overlapping(sa.bindparam("start"), sa.bindparam("end")),
        )
        .order_by(Closure.start)
    )


def _column(  # noqa: PLR0913
    head: Head | DayKey,
    shape: _Shape,
    bookings: list[services.Booked],
    closures: list[sa.Row],
    views: dict[int, BlockView],
    tz: ZoneInfo,
    limits: _Limits,
    missing: list[tuple[int, int]],
) -> grid.Column:
    resource_id, day = head.resource.id, head.day
    blocks = [
        grid.Block(
            _wall(b.start, day, tz),
            _wall(b.end, day, tz),
            _wall(b.occupied_until, day, tz),
            b.quantity,
            views.get(b.id),
        )
        for b in bookings
    ]
    shut = [
        (_wall(c.start, day, tz), _wall(c.end, day, tz), c.reason)
        for c in closures
        if c.resource_id is None or c.resource_id == resource_id
    ]
    return grid.Column(
        key=head,
        opening=shape.opening[day.weekday()],
        blocks=blocks,
        closures=shut,
        missing=missing,
        capacity=shape.quantity,
        cut=max(shape.granularity, MIN_CELL),
        bookable_from=_bookable_from(limits, day),
        buffer=shape.buffer,
        min_length=shape.min_length,
    )


def columns_for(
    site: Site,
    heads: list[Head] | list[DayKey],
    resources: list[Resource],
    first: date,
    last: date,
    viewer: object,
    now: datetime,
    blocks_shown: bool = True,
) -> list[grid.Column]:
    """Each head's column (opening, bookings, closures) from three queries over the days.

    Without `blocks_shown` (a month only counts), blocks carry no BlockView.
    """
    tz = site.tz
    start = _day_bounds(first, tz)[0]
    end = _day_bounds(last, tz)[1]
    # The database answers which bookings and closures occupy the days (Booking.occupying,
    # Closure.overlapping); each row then goes to the columns of the local days it covers.
    bookings = services.active_rows([r.id for r in resources], start, end)
    closures = db.session.execute(
        _closures_query(), {"site_id": site.id, "start": start, "end": end}
    ).all()
    by_column: dict[tuple[int, date], list[services.Booked]] = defaultdict(list)
    for booking in bookings:
        for day in _days_covered(booking.start, booking.occupied_until, tz, first, last):
            by_column[booking.resource_id, day].append(booking)
    closures_on: dict[date, list[sa.Row]] = defaultdict(list)
    for closure in closures:
        for day in _days_covered(closure.start, closure.end, tz, first, last):
            closures_on[day].append(closure)
    views: dict[int, BlockView] = {}
    if blocks_shown:
        show_url = link_pattern("bookings.show", "booking_id")
        reading = permissions.booking_reading(viewer)
        views = {b.id: _block_view(b, reading, tz, show_url) for b in bookings}
    missing = {day: _missing_times(day, tz) for day in {head.day for head in heads}}
    weekdays = range(7) if len(missing) >= 7 else {day.weekday() for day in missing}
    shapes = {r.id: _Shape.of(r, weekdays) for r in resources}
    limits = {r_id: _Limits.of(shape, tz, now) for r_id, shape in shapes.items()}
    return [
        _column(
            head,
            shapes[head.resource.id],
            by_column[head.resource.id, head.day],
            closures_on[head.day],
            views,
            tz,
            limits[head.resource.id],
            missing[head.day],
        )
        for head in heads
    ]


def _build(
    site: Site,
    heads: list[Head],
    resources: list[Resource],
    first: date,
    last: date,
    viewer: object,
    now: datetime,
) -> Agenda:
    tz = site.tz
    columns = columns_for(site, heads, resources, first, last, viewer, now)
    laid_out = grid.lay_out(columns)
    for head, lanes in zip(heads, laid_out.lanes, strict=True):
        head.lanes = lanes
    current = today(site, now)
    now_minute = minutes_of_day(to_local(now, tz)) if first <= current <= last else None
    scroll = _scroll_row(laid_out, [c.opening for c in columns], now_minute)
    return Agenda(laid_out, heads, scroll_row=scroll, columns=columns)


def shown_resources(site: Site) -> list[Resource]:
    """The resources people may book, in the building's order (as active_resources reads
    them), from the site's collection: the grids' views load it with the sites."""
    return [r for r in site.resources if r.is_active]


def day_agenda(site: Site, day: date, viewer: object, now: datetime | None = None) -> Agenda:
    """Every active resource of the site, side by side, on one day."""
    now = now or utcnow()
    resources = shown_resources(site)
    form_url = fixed_url("bookings.new")
    form_html = escape_html(form_url)
    is_today = day == today(site, now)
    heads = [Head(r, day, r.name, r.name, is_today, form_url, form_html) for r in resources]
    return _build(site, heads, resources, day, day, viewer, now)


def week_agenda(
    resource: Resource, monday: date, viewer: object, now: datetime | None = None
) -> Agenda:
    """One resource from Monday to Sunday."""
    now = now or utcnow()
    site = resource.site
    days = [monday + timedelta(days=i) for i in range(7)]
    form_url = fixed_url("bookings.new")
    form_html = escape_html(form_url)
    current = today(site, now)
    heads = [
        Head(
            resource,
            day,
            format_date(day, "EEE d MMM"),
            f"{resource.name}, {format_date(day, 'EEEE d MMMM')}",
            day == current,
            form_url,
            form_html,
        )
        for day in days
    ]
    return _build(site, heads, [resource], days[0], days[-1], viewer, now)
