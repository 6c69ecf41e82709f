"""What the screens ask: free times and free resources, upcoming bookings, closures."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings import rules
from pole.bookings.models import ACTIVE_STATUSES, LONGEST_BUFFER, LONGEST_OCCUPATION, Booking
from pole.bookings.services.checks import (
    booking_label,
    booking_request,
    closures_meeting,
    policy_of,
)
from pole.core.stored_time import epoch_seconds
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Closure, Resource
from pole.timeutil import local_to_utc, to_local


@dataclass(frozen=True, slots=True)
class Booker:
    """The organisation of a booking, as much as the grids and suggestions say of it."""

    id: int
    name: str
    short_name: str


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking as the read pages use it: a row, not an ORM object (a month holds hundreds).

    It answers what booking_label and the permissions ask of a booking.
    """

    id: int
    resource_id: int
    organisation_id: int
    title: str
    is_public: bool
    start: datetime
    end: datetime
    occupied_until: datetime
    quantity: int
    status: str
    organisation: Booker

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    def occupies(self, start: datetime, end: datetime) -> bool:
        """Python twin of Booking.occupying (the row is active already)."""
        return self.start < end and self.occupied_until > start


def _booked_columns(resource_id: sa.ColumnElement = Booking.resource_id) -> list:
    """What the read pages show of bookings (see Booked), with their organisation's names."""
    return [
        Booking.id,
        resource_id,
        Booking.organisation_id,
        Booking.title,
        Booking.is_public,
        Booking.start,
        Booking.end,
        Booking.occupied_until,
        Booking.quantity,
        Booking.status,
        Organisation.name,
        Organisation.short_name,
    ]


def _booked_rows() -> sa.Select:
    return sa.select(*_booked_columns()).join(
        Organisation, Organisation.id == Booking.organisation_id
    )


@cache
def _active_rows_query() -> sa.Select:
    """The rows of active_bookings, with only what the read pages show of them.

    Built once, with parameters: building the statement for every page cost more than running
    it. Plain rows: loading ORM objects cost more than the query too.
    """
    return (
        _booked_rows()
        .where(
            Booking.resource_id.in_(sa.bindparam("resource_ids", expanding=True)),
            Booking.occupying(sa.bindparam("start"), sa.bindparam("end"), sa.bindparam("since")),
        )
        .order_by(Booking.start)
    )


def active_rows(resource_ids: Sequence[int], start: datetime, end: datetime) -> list[Booked]:
    """Pending and confirmed bookings of these resources that occupy part of [start, end)."""
    since = start - LONGEST_OCCUPATION
    params = {"resource_ids": list(resource_ids), "start": start, "end": end, "since": since}
    return _booked(db.session.execute(_active_rows_query(), params))


# The kind of each row of _suggestion_rows_query: a booking of the resource, a closure, or
# another resource offered (with one of its bookings, or none).
_OWN, _CLOSED, _OFFERED = 0, 1, 2


@cache
def _suggestion_rows_query() -> sa.Select:
    """All that suggestions weigh, in one round trip: the resource's bookings around its day,
    its closures that day, and the other resources that could take the booking, each with its
    bookings around the time (or one row without a booking).

    Each resource's window is its own: one window for all brought back the others' bookings
    of three whole days, each row converted and then dropped. The others' buffers are only
    read here, so each one's window is bounded by its buffer in whole seconds since 1970 (a
    little wider, never narrower), and the index range by the longest buffer there may be.
    Kinds are written as numbers, not parameters: psycopg caches the conversion of a
    statement only up to 4096 characters.
    """
    own = _booked_rows().where(
        Booking.resource_id == sa.bindparam("resource_id"),
        Booking.occupying(
            sa.bindparam("own_start"), sa.bindparam("own_end"), sa.bindparam("own_since")
        ),
    )
    # The closures, laid out in the bookings' columns (title: the reason).
    closure = [Closure.id, *[sa.null()] * 2, Closure.reason, sa.null(), Closure.start, Closure.end]
    closures = closures_meeting(
        closure + [sa.null()] * 5, sa.bindparam("resource_id"), "day_start", "day_end"
    )
    offered = _other_candidates_query().subquery("offered")
    buffer = offered.c.buffer_minutes * sa.literal_column("60")
    near = sa.and_(
        Booking.resource_id == offered.c.id,
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.start > sa.bindparam("near_since"),
        Booking.start < sa.bindparam("near_end"),
        epoch_seconds(Booking.start) <= sa.bindparam("end_s", type_=sa.BigInteger) + buffer,
        epoch_seconds(Booking.end) + buffer >= sa.bindparam("start_s", type_=sa.BigInteger),
    )
    others = sa.select(
        *_booked_columns(offered.c.id), sa.literal_column(str(_OFFERED))
    ).select_from(
        offered.outerjoin(Booking, near).outerjoin(
            Organisation, Organisation.id == Booking.organisation_id
        )
    )
    kind = sa.literal_column(str(_OWN)).label("kind")
    union = sa.union_all(own.add_columns(kind), closures, others).subquery()
    by_start = sa.case((union.c.kind != sa.literal_column(str(_CLOSED)), union.c.start))
    return sa.select(union).order_by(union.c.kind, by_start, union.c.id)


@dataclass(frozen=True, slots=True)
class _Weighed:
    """What _suggestion_rows brings back."""

    offered_ids: set[int]
    booked: list[Booked]
    closures: list[rules.ClosurePeriod]


def _suggestion_rows(
    resource: Resource,
    request: tuple[datetime, datetime, int, int | None],
    around: tuple[datetime, datetime],
    day: tuple[datetime, datetime],
) -> _Weighed:
    """The other resources of the same kind, open then, that could take this booking (start,
    end, quantity, expected people); the active bookings of the resource that occupy part of
    `around`, and of those others that may clash with the request; the resource's closures
    that meet `day`."""
    start, end, quantity, people = request
    near_start, near_end = start - LONGEST_BUFFER, end + LONGEST_BUFFER
    params = {
        "site_id": resource.site_id,
        "kind": resource.kind,
        "resource_id": resource.id,
        "quantity": quantity,
        "people": people or 0,
        "start": start,
        "end": end,
        "own_start": around[0],
        "own_end": around[1],
        "own_since": around[0] - LONGEST_OCCUPATION,
        "near_end": near_end,
        "near_since": near_start - LONGEST_OCCUPATION,
        "start_s": math.floor(start.timestamp()),
        "end_s": math.floor(end.timestamp()),
        "day_start": day[0],
        "day_end": day[1],
    }
    rows = db.session.execute(_suggestion_rows_query(), params).all()
    booked = [r for r in rows if r.kind == _OWN or r.kind == _OFFERED and r.id is not None]
    return _Weighed(
        {r.resource_id for r in rows if r.kind == _OFFERED},
        _booked(r[:-1] for r in booked),
        [rules.ClosurePeriod(r.start, r.end, r.title) for r in rows if r.kind == _CLOSED],
    )


def _booked(rows: Iterable[Sequence]) -> list[Booked]:
    bookers: dict[int, Booker] = {}
    found = []
    for *fields, name, short_name in rows:
        org_id = fields[2]
        booker = bookers.get(org_id)
        if booker is None:
            booker = bookers[org_id] = Booker(org_id, name, short_name)
        found.append(Booked(*fields, booker))
    return found


def _occupation(booking: Booked, viewer: User) -> rules.Occupation:
    label = booking_label(booking, viewer)
    return rules.Occupation(booking.start, booking.end, booking.quantity, label, booking.id)


def suggestions(
    resource: Resource,
    organisation: Organisation,
    user: User,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    now: datetime | None = None,
    exclude: Iterable[int] = (),
    expected_people: int | None = None,
) -> tuple[list[tuple[datetime, datetime]], list[Resource]]:
    """Nearest free times for the same resource that day, and other resources free then.

    The other resources and the bookings of all come in one query: a refused booking waits
    for this answer.
    """
    now = now or utcnow()
    tz = resource.site.tz
    day = to_local(start, tz).date()
    day_start = local_to_utc(day, time(0, 0), tz)
    day_end = local_to_utc(day + timedelta(days=1), time(0, 0), tz)
    # Widen by the buffers: the request's own cleaning time may hit a booking.
    margin = timedelta(minutes=resource.buffer_minutes)
    around = (day_start - timedelta(days=1) - margin, day_end + timedelta(days=1) + margin)
    weighed = _suggestion_rows(
        resource, (start, end, quantity, expected_people), around, (day_start, day_end)
    )
    # The site's resources are loaded already (the form offers them), in their order.
    candidates = [r for r in resource.site.resources if r.id in weighed.offered_ids]
    # The longest buffer of the others: the rules then tell which of these really clash.
    other_margin = timedelta(minutes=max((r.buffer_minutes for r in candidates), default=0))
    near = (start - other_margin, end + other_margin)
    excluded = set(exclude)
    own, taken = [], defaultdict(list)
    for b in weighed.booked:
        if b.resource_id == resource.id:
            if b.id not in excluded and b.occupies(*around):
                own.append(_occupation(b, user))
        elif b.occupies(*near):
            taken[b.resource_id].append(_occupation(b, user))
    times = rules.suggest_free_times(
        policy_of(resource),
        own,
        weighed.closures,
        day,
        end - start,
        quantity,
        start,
        now,
        organisation.kind,
    )
    request = booking_request(user, organisation, start, end, quantity)
    free = [
        other
        for other in candidates
        if not rules.check_booking(request, policy_of(other), taken[other.id], [], now)
    ]
    others = sorted(free, key=lambda r: rules.nearest_fit(r.capacity, r.position, expected_people))
    return times, others


@cache
def _other_candidates_query() -> sa.Select:
    """Other resources of the same kind, open then, that could take this booking's people."""
    closed = sa.exists().where(
        Closure.site_id == Resource.site_id,
        sa.or_(Closure.resource_id.is_(None), Closure.resource_id == Resource.id),
        Closure.overlapping(
            sa.bindparam("start", type_=Closure.start.type),
            sa.bindparam("end", type_=Closure.end.type),
        ),
    )
    return sa.select(Resource.id, Resource.buffer_minutes).where(
        Resource.site_id == sa.bindparam("site_id"),
        Resource.is_active,
        Resource.kind == sa.bindparam("kind"),
        Resource.id != sa.bindparam("resource_id"),
        Resource.quantity >= sa.bindparam("quantity"),
        sa.or_(Resource.capacity.is_(None), Resource.capacity >= sa.bindparam("people")),
        ~closed,
    )


def site_closures(site_id: int, start: datetime, end: datetime) -> list[Closure]:
    """Closures of a site and of its resources that touch [start, end), for the grids."""
    return list(
        db.session.scalars(
            db.select(Closure)
            .where(Closure.site_id == site_id, Closure.overlapping(start, end))
            .order_by(Closure.start)
        )
    )


def bookable_organisations(user: User, resource: Resource) -> list[Organisation]:
    """The organisations this person may book this resource for, by name."""
    if permissions.is_manager(user):
        candidates = db.session.scalars(
            db.select(Organisation).where(Organisation.is_active).order_by(Organisation.name)
        ).all()
    else:
        candidates = user.organisations()
    return [o for o in candidates if permissions.can_book_resource(user, o, resource)]
