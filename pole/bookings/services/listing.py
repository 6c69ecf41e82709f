"""'Nos réservations': our bookings as lines, one per series and one per single booking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from pole.bookings.models import Booking, Series
from pole.db import db
from pole.resources.models import Resource

PER_PAGE = 20


@dataclass(frozen=True)
class ListFilters:
    """What the list shows: to come or past, one resource or all, mine or everyone's."""

    organisation_ids: tuple[int, ...]
    past: bool = False
    resource_id: int | None = None
    made_by_id: int | None = None
    page: int = 1


@dataclass
class Line:
    """A line of the list: a single booking, or a series with its dates in this view."""

    booking: Booking  # the single booking, or the series' next (or, in the past, last) date
    series: Series | None = None
    dates: list[Booking] = field(default_factory=list)

    @property
    def left(self) -> int:
        """How many dates of the series still hold their slot in this view."""
        return sum(1 for b in self.dates if b.is_active)


@dataclass(frozen=True)
class ListPage:
    lines: list[Line]
    page: int
    has_next: bool


def our_bookings(filters: ListFilters, now: datetime, per_page: int = PER_PAGE) -> ListPage:
    """One page of lines: to come, soonest first; or past, latest first."""
    if not filters.organisation_ids:
        return ListPage([], 1, False)
    where = [Booking.organisation_id.in_(filters.organisation_ids)]
    where.append(Booking.end <= now if filters.past else Booking.not_over(now))
    if filters.resource_id is not None:
        where.append(Booking.resource_id == filters.resource_id)
    if filters.made_by_id is not None:
        where.append(Booking.created_by_id == filters.made_by_id)
    # A series is one line (negative key: its id), a single booking another (its own id).
    key = sa.case((Booking.series_id.is_not(None), -Booking.series_id), else_=Booking.id)
    when = sa.func.max(Booking.start) if filters.past else sa.func.min(Booking.start)
    order = when.desc() if filters.past else when.asc()
    rows = db.session.execute(
        db.select(key.label("line"), when.label("at"))
        .where(*where)
        .group_by(key)
        .order_by(order, key)
        .offset((filters.page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    keys = [row.line for row in rows[:per_page]]
    series_ids = [-k for k in keys if k < 0]
    single_ids = [k for k in keys if k > 0]
    bookings = db.session.scalars(
        db.select(Booking)
        .where(*where, sa.or_(Booking.series_id.in_(series_ids), Booking.id.in_(single_ids)))
        .options(
            sa.orm.joinedload(Booking.resource).joinedload(Resource.site),
            sa.orm.joinedload(Booking.organisation),
            sa.orm.joinedload(Booking.series),
        )
        .order_by(Booking.start.desc() if filters.past else Booking.start, Booking.id)
    ).all()
    lines: dict[int, Line] = {}
    for booking in bookings:
        if booking.series_id is None:
            lines[booking.id] = Line(booking)
            continue
        line = lines.setdefault(-booking.series_id, Line(booking, booking.series))
        line.dates.append(booking)
        if booking.is_active and not line.booking.is_active:
            line.booking = booking  # the next date that still holds, not a cancelled one
    return ListPage([lines[k] for k in keys if k in lines], filters.page, len(rows) > per_page)
