"""Loading what the booking rules need, checking a booking, and the refusals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings import rules
from pole.bookings.models import LONGEST_OCCUPATION, Booking
from pole.core.locks import lock_row
from pole.core.refusals import Reason, Refused
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Closure, Resource


class BookingRefused(Refused):
    """The booking cannot be made; `reasons` say why, field by field."""


@dataclass(frozen=True)
class SeriesConflict:
    day: date
    reasons: list[Reason]


class SeriesRefused(Exception):
    """Some dates of a series cannot be booked; nothing was saved."""

    def __init__(self, conflicts: Sequence[SeriesConflict]) -> None:
        super().__init__(f"{len(conflicts)} conflicting dates")
        self.conflicts = list(conflicts)


def policy_of(resource: Resource) -> rules.Policy:
    return rules.Policy(
        name=resource.name,
        is_room=resource.is_room,
        quantity=resource.quantity,
        opening_hours={
            int(day): [tuple(i) for i in intervals]
            for day, intervals in resource.opening_hours.items()
        },
        granularity=resource.granularity_minutes,
        min_duration=resource.min_duration_minutes,
        max_duration=resource.max_duration_minutes,
        max_days_ahead=resource.max_days_ahead,
        min_notice=resource.min_notice_minutes,
        buffer=resource.buffer_minutes,
        allowed_kinds=frozenset(resource.allowed_kinds),
        tz=resource.site.tz,
        units=resource.units,
    )


def booking_label(
    booking: Booking | _Seen,
    viewer: User | None,
    name: str | None = None,
    short_name: str | None = None,
) -> str:
    """What a person may read of a booking: private titles stay within their organisation.

    `name` and `short_name` are its organisation's, when read with it (else loaded).
    """
    if name is None or short_name is None:
        name, short_name = booking.organisation.name, booking.organisation.short_name
    if viewer is not None and permissions.can_see_booking_details(viewer, booking):
        return f"{booking.title} ({short_name})"
    return f"Réservé — {name}"


def active_bookings(
    resource_ids: Iterable[int], start: datetime, end: datetime, exclude: Iterable[int] = ()
) -> list[Booking]:
    """Pending and confirmed bookings of these resources that occupy part of [start, end)."""
    query = (
        db.select(Booking)
        .where(
            Booking.resource_id.in_(list(resource_ids)),
            Booking.occupying(start, end),
        )
        .options(sa.orm.joinedload(Booking.organisation))
        .order_by(Booking.start)
        # Under a lock, what another transaction just committed wins over what we had loaded.
        .execution_options(populate_existing=True)
    )
    exclude = list(exclude)
    if exclude:
        query = query.where(Booking.id.not_in(exclude))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class _OrganisationId:
    id: int


@dataclass(frozen=True)
class _Seen:
    """What booking_label reads of a booking, from a row."""

    title: str
    is_public: bool
    organisation: _OrganisationId


# Built once: each booking POST runs them under the write lock, and a statement built anew
# costs more Python than its query. Plain columns, no ORM object: fresh from the database.
_OCCUPYING_COLUMNS = (
    Booking.id,
    Booking.start,
    Booking.end,
    Booking.quantity,
    Booking.title,
    Booking.is_public,
    Booking.organisation_id,
    Organisation.name,
    Organisation.short_name,
)
_OCCUPYING = (
    sa.select(*_OCCUPYING_COLUMNS)
    .join(Organisation, Organisation.id == Booking.organisation_id)
    .where(
        Booking.resource_id == sa.bindparam("resource_id"),
        Booking.occupying(
            sa.bindparam("start", type_=Booking.start.type),
            sa.bindparam("end", type_=Booking.end.type),
            sa.bindparam("since", type_=Booking.start.type),
        ),
    )
    .order_by(Booking.start)
)
_OCCUPYING_BUT = _OCCUPYING.where(Booking.id.not_in(sa.bindparam("exclude", expanding=True)))
_CLOSING = sa.select(Closure.start, Closure.end, Closure.reason).where(
    Closure.site_id == sa.bindparam("site_id"),
    sa.or_(Closure.resource_id.is_(None), Closure.resource_id == sa.bindparam("resource_id")),
    Closure.overlapping(
        sa.bindparam("start", type_=Closure.start.type), sa.bindparam("end", type_=Closure.end.type)
    ),
)


def occupations(
    resource: Resource,
    start: datetime,
    end: datetime,
    viewer: User | None,
    exclude: Iterable[int] = (),
) -> list[rules.Occupation]:
    """What occupies the resource around [start, end): its pending and confirmed bookings."""
    params = _around_params(resource, start, end, exclude)
    rows = db.session.execute(_OCCUPYING_BUT if "exclude" in params else _OCCUPYING, params)
    return [_occupation(row, viewer) for row in rows]


def _around_params(
    resource: Resource, start: datetime, end: datetime, exclude: Iterable[int]
) -> dict:
    """The bound values of _OCCUPYING (and _OCCUPYING_BUT when some bookings are left out)."""
    # Widen by the buffer on both sides: the request's own cleaning time may hit a booking.
    margin = timedelta(minutes=resource.buffer_minutes)
    params = {
        "resource_id": resource.id,
        "start": start - margin,
        "end": end + margin,
        "since": start - margin - LONGEST_OCCUPATION,
    }
    exclude = list(exclude)
    if exclude:
        params["exclude"] = exclude
    return params


def with_closures(
    bookings: sa.Select,
    closure_columns: list,
    resource: sa.BindParameter,
    start: str,
    end: str,
) -> sa.Select:
    """`bookings` (ordered by start), then the closures of the site's building or of
    `resource` that meet [start, end) (bound by these names), in the order of their rows, in
    one statement: one round trip. `closure_columns` lay a closure out in the bookings'
    columns; a last column, `kind`, tells them apart (0 for a booking, 1 for a closure)."""
    closures = closures_meeting(closure_columns, resource, start, end)
    kind = sa.literal(0).label("kind")
    union = sa.union_all(bookings.add_columns(kind).order_by(None), closures).subquery()
    by_start = sa.case((union.c.kind == 0, union.c.start))
    return sa.select(union).order_by(union.c.kind, by_start, union.c.id)


def closures_meeting(
    closure_columns: list, resource: sa.BindParameter, start: str, end: str
) -> sa.Select:
    """The closures of the site's building or of `resource` that meet [start, end) (bound by
    these names), laid out in `closure_columns`, then `kind` 1: a part of with_closures' union."""
    return sa.select(*closure_columns, sa.literal(1)).where(
        Closure.site_id == sa.bindparam("site_id"),
        sa.or_(Closure.resource_id.is_(None), Closure.resource_id == resource),
        Closure.overlapping(
            sa.bindparam(start, type_=Closure.start.type),
            sa.bindparam(end, type_=Closure.end.type),
        ),
    )


# What check() reads under the write lock, in one statement (one round trip on PostgreSQL):
# the bookings around, as _OCCUPYING, then the closures, as _CLOSING.
def _around(occupying: sa.Select) -> sa.Select:
    closure = [Closure.id, Closure.start, Closure.end, sa.null(), Closure.reason]
    return with_closures(
        occupying,
        closure + [sa.null()] * 4,
        sa.bindparam("resource_id"),
        "closed_start",
        "closed_end",
    )


_AROUND = _around(_OCCUPYING)
_AROUND_BUT = _around(_OCCUPYING_BUT)


def _occupation(row: sa.Row, viewer: User | None) -> rules.Occupation:
    booking_id, start, end, quantity, title, is_public, organisation_id, name, short_name = row
    seen = _Seen(title, is_public, _OrganisationId(organisation_id))
    return rules.Occupation(
        start, end, quantity, booking_label(seen, viewer, name, short_name), booking_id
    )


def occupations_and_closures(
    resource: Resource,
    start: datetime,
    end: datetime,
    viewer: User | None,
    exclude: Iterable[int] = (),
) -> tuple[list[rules.Occupation], list[rules.ClosurePeriod]]:
    """What occupations() and closures_for() answer, read in one statement."""
    params = _around_params(resource, start, end, exclude)
    params |= {"site_id": resource.site_id, "closed_start": start, "closed_end": end}
    statement = _AROUND_BUT if "exclude" in params else _AROUND
    booked, closed = [], []
    for row in db.session.execute(statement, params):
        if row[-1]:
            closed.append(rules.ClosurePeriod(row[1], row[2], row[4]))
        else:
            booked.append(_occupation(row[:-1], viewer))
    return booked, closed


def closures_for(resource: Resource, start: datetime, end: datetime) -> list[rules.ClosurePeriod]:
    rows = db.session.execute(
        _CLOSING,
        {"site_id": resource.site_id, "resource_id": resource.id, "start": start, "end": end},
    )
    return [rules.ClosurePeriod(*row) for row in rows]


def booking_request(
    user: User, organisation: Organisation, start: datetime, end: datetime, quantity: int
) -> rules.BookingRequest:
    return rules.BookingRequest(
        start=start,
        end=end,
        quantity=quantity,
        organisation_kind=organisation.kind,
        is_member=user.role_in(organisation.id) is not None,
        is_manager=permissions.is_manager(user),
    )


def check(
    resource: Resource,
    organisation: Organisation,
    user: User,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    now: datetime | None = None,
    exclude: Iterable[int] = (),
) -> list[Reason]:
    """Every reason this booking cannot be made right now (empty: it can)."""
    now = now or utcnow()
    booked, closed = occupations_and_closures(resource, start, end, user, exclude)
    request = booking_request(user, organisation, start, end, quantity)
    return rules.check_booking(request, policy_of(resource), booked, closed, now)


def lock_resource(resource_id: int) -> Resource:
    """Load the resource, holding its row lock until commit on PostgreSQL."""
    missing = BookingRefused.because("Cette ressource n'existe pas.", code="missing")
    return lock_row(Resource, resource_id, missing)


def needs_approval(resource: Resource, user: User) -> bool:
    """Whether this person's booking of this resource waits for the manager's approval."""
    return rules.needs_approval(resource.requires_approval, permissions.is_manager(user))


def _initial_status(resource: Resource, user: User) -> str:
    return "pending" if needs_approval(resource, user) else "confirmed"


def new_booking(
    resource: Resource, organisation_id: int, user: User, start: datetime, end: datetime, **fields
) -> Booking:
    now = utcnow()
    return Booking(
        resource_id=resource.id,
        organisation_id=organisation_id,
        created_by_id=user.id,
        start=start,
        end=end,
        occupied_until=end + timedelta(minutes=resource.buffer_minutes),
        exclusive=resource.quantity == 1,
        status=_initial_status(resource, user),
        created_at=now,
        updated_at=now,
        **fields,
    )
