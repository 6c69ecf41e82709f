"""What the home page asks of the database: today in the building and what comes next."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from pole.auth.models import User
from pole.bookings.models import ACTIVE_STATUSES, LONGEST_BOOKING, Booking
from pole.bookings.services.checks import active_bookings, booking_label
from pole.db import db
from pole.permanences.services.screens import Session, upcoming_sessions, week_sessions
from pole.resources.models import Resource, Site
from pole.timeutil import local_to_utc, to_local

NEXT_SHOWN = 5  # bookings listed under "Nos prochaines réservations"
SLOTS_SHOWN = 4  # free slots offered per permanence date


@dataclass(frozen=True)
class TodayLine:
    """One booking of today, as this person may read it."""

    start: datetime
    end: datetime
    label: str
    is_pending: bool


@dataclass(frozen=True)
class RoomToday:
    """One resource of the building today: what is booked, in time order."""

    resource: Resource
    lines: list[TodayLine]


@functools.cache
def _next_statements() -> tuple[sa.Select, sa.Select]:
    """`next_bookings`' two statements, built once per process (bound per request)."""
    coming = sa.and_(
        Booking.organisation_id.in_(sa.bindparam("ids", expanding=True)),
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.not_over(sa.bindparam("now"), sa.bindparam("since")),
    )
    # The first few are chosen on the booking table alone, then joined to their rooms, sites
    # and associations: joined before the LIMIT, every booking to come was (~1,000 rows for
    # an association's year, several ms on PostgreSQL).
    first = (
        sa.select(Booking)
        .where(coming)
        .order_by(Booking.start, Booking.id)
        .limit(sa.bindparam("limit"))
        .subquery()
    )
    booking = sa.orm.aliased(Booking, first)
    shown = (
        sa.select(booking)
        .options(
            sa.orm.joinedload(booking.resource).joinedload(Resource.site),
            sa.orm.joinedload(booking.organisation),
        )
        .order_by(booking.start, booking.id)
    )
    total = sa.select(sa.func.count()).select_from(Booking).where(coming)
    return shown, total


def next_bookings(user: User, now: datetime, limit: int = NEXT_SHOWN) -> tuple[list[Booking], int]:
    """The next bookings of my organisations (not yet over), and how many are to come in all."""
    ids = [o.id for o in user.organisations()]
    if not ids:
        return [], 0
    shown, total = _next_statements()
    values = {"ids": ids, "now": now, "since": now - LONGEST_BOOKING, "limit": limit}
    return list(db.session.scalars(shown, values)), db.session.scalar(total, values) or 0


def today_in_building(
    site: Site, resources: list[Resource], viewer: User | None, now: datetime
) -> list[RoomToday]:
    """Every active resource with what is booked on it today (in the building's time)."""
    today = to_local(now, site.tz).date()
    start = local_to_utc(today, time(0, 0), site.tz)
    end = local_to_utc(today + timedelta(days=1), time(0, 0), site.tz)
    booked: dict[int, list[TodayLine]] = {r.id: [] for r in resources}
    for booking in active_bookings([r.id for r in resources], start, end):
        if booking.start >= end or booking.end <= start:
            continue  # its buffer only touches today
        line = TodayLine(
            booking.start, booking.end, booking_label(booking, viewer), booking.is_pending
        )
        booked[booking.resource_id].append(line)
    return [RoomToday(r, booked[r.id]) for r in resources]


def _bookable(session: Session, organisations: list, now: datetime) -> list:
    """Free slots that one of these associations may book now (its fair share included)."""
    return [
        entry
        for entry in session.slots
        if session.can_book(entry, organisations, now)
        and any(not session.why_not(entry, [o.id], now) for o in organisations)
    ]


def open_sessions(user: User, now: datetime, days: int = 7) -> list[Session]:
    """This week's permanence dates where my associations can still book a free slot."""
    organisations = user.organisations()
    if not organisations:
        return []
    last = now + timedelta(days=days)
    return [
        session
        for session in upcoming_sessions(user, now)
        if session.start < last
        and not session.is_cancelled
        and session.is_open(now)
        and _bookable(session, organisations, now)
    ]


def bookable_slots(session: Session, user: User, now: datetime, limit: int = SLOTS_SHOWN):
    """The first free slots of a permanence date that this person may book."""
    return _bookable(session, user.organisations(), now)[:limit]


def next_permanence(user: User, site: Site, now: datetime) -> Session | None:
    """The social worker's own next permanence date still to come (today's if not over)."""
    first = to_local(now, site.tz).date()
    for week in range(3):
        for session in week_sessions(user, first + timedelta(days=7 * week), now):
            mine = session.permanence.social_worker_id == user.id
            if mine and session.end > now and not session.is_cancelled:
                return session
    return None
