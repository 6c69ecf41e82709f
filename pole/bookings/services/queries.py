"""What the screens ask: free times and free resources, upcoming bookings, closures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings import rules
from pole.bookings.models import Booking
from pole.bookings.services.checks import (
    active_bookings,
    booking_label,
    booking_request,
    closures_for,
    occupations,
    policy_of,
)
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Closure, Resource
from pole.timeutil import local_to_utc, to_local


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
    """Nearest free times for the same resource that day, and other resources free then."""
    now = now or utcnow()
    tz = resource.site.tz
    day = to_local(start, tz).date()
    day_start = local_to_utc(day, time(0, 0), tz)
    day_end = local_to_utc(day + timedelta(days=1), time(0, 0), tz)
    times = rules.suggest_free_times(
        policy_of(resource),
        occupations(
            resource, day_start - timedelta(days=1), day_end + timedelta(days=1), user, exclude
        ),
        closures_for(resource, day_start, day_end),
        day,
        end - start,
        quantity,
        start,
        now,
        organisation.kind,
    )
    others = free_others(resource, organisation, user, start, end, quantity, now, expected_people)
    return times, others


def free_others(
    resource: Resource,
    organisation: Organisation,
    user: User,
    start: datetime,
    end: datetime,
    quantity: int,
    now: datetime,
    expected_people: int | None = None,
) -> list[Resource]:
    """Other resources of the same kind that could take this booking (and its people)."""
    closed = sa.exists().where(
        Closure.site_id == Resource.site_id,
        sa.or_(Closure.resource_id.is_(None), Closure.resource_id == Resource.id),
        Closure.overlapping(start, end),
    )
    candidates = list(
        db.session.scalars(
            db.select(Resource)
            .where(
                Resource.site_id == resource.site_id,
                Resource.is_active,
                Resource.kind == resource.kind,
                Resource.id != resource.id,
                Resource.quantity >= quantity,
                sa.or_(Resource.capacity.is_(None), Resource.capacity >= (expected_people or 0)),
                ~closed,
            )
            .order_by(Resource.position, Resource.id)
        )
    )
    if not candidates:
        return []
    # Widen by the longest buffer: the rules then tell which of these really clash.
    margin = timedelta(minutes=max(r.buffer_minutes for r in candidates))
    taken: dict[int, list[rules.Occupation]] = defaultdict(list)
    for b in active_bookings([r.id for r in candidates], start - margin, end + margin):
        label = booking_label(b, user)
        taken[b.resource_id].append(rules.Occupation(b.start, b.end, b.quantity, label, b.id))
    request = booking_request(user, organisation, start, end, quantity)
    free = [
        other
        for other in candidates
        if not rules.check_booking(request, policy_of(other), taken[other.id], [], now)
    ]
    return sorted(free, key=lambda r: rules.nearest_fit(r.capacity, r.position, expected_people))


def upcoming_for_organisations(
    organisation_ids: Sequence[int], now: datetime | None = None, limit: int = 200
) -> list[Booking]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(Booking.organisation_id.in_(organisation_ids), Booking.end > now)
            .options(
                sa.orm.joinedload(Booking.resource).joinedload(Resource.site),
                sa.orm.joinedload(Booking.organisation),
                sa.orm.joinedload(Booking.series),
            )
            .order_by(Booking.start, Booking.id)
            .limit(limit)
        )
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
