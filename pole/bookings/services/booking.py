"""One booking: create, edit (alone or with its series), cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pole import permissions
from pole.auth.models import User
from pole.bookings import capacity, rules
from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.bookings.services.checks import (
    BookingRefused,
    SeriesConflict,
    SeriesRefused,
    check,
    lock_resource,
    new_booking,
)
from pole.core.locks import lost_race
from pole.core.refusals import LOST_RACE, Reason
from pole.db import db, utcnow, write_transaction
from pole.events.record import record_series_change
from pole.events.states import (
    booking_state,
    record_booking,
    record_booking_change,
    series_subject,
)
from pole.organisations.models import Organisation
from pole.quotas import services as quotas
from pole.resources.models import Resource
from pole.sites.services import site_reasons
from pole.timeutil import NonexistentLocalTime, to_local


@dataclass(frozen=True)
class BookingData:
    """What a person asks for, already parsed: times are aware UTC."""

    resource_id: int
    organisation_id: int
    start: datetime
    end: datetime
    title: str
    description: str = ""
    is_public: bool = False
    quantity: int = 1
    expected_people: int | None = None
    quota_override_note: str = ""  # the manager's reason to go beyond a quota


def create_booking(data: BookingData, user: User, now: datetime | None = None) -> Booking:
    """Book a resource for an organisation, or raise BookingRefused with the reasons."""
    now = now or utcnow()
    # Kept after the commit: the page that says it is booked shows the booking as written.
    with lost_race(BookingRefused([LOST_RACE])), write_transaction(now=now, expire=False):
        resource = lock_resource(data.resource_id)
        organisation = db.session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise BookingRefused([Reason("missing", "organisation", "Organisation inconnue.")])
        reasons = check(resource, organisation, user, data.start, data.end, data.quantity, now)
        reasons += capacity_reasons(resource, data.expected_people)
        reasons += site_reasons(organisation, resource)
        if reasons:
            raise BookingRefused(reasons)
        note = quotas.enforce(
            organisation, resource, [(data.start, data.end)], user, data.quota_override_note, now
        )
        booking = new_booking(
            resource,
            organisation.id,
            user,
            data.start,
            data.end,
            title=data.title,
            description=data.description,
            is_public=data.is_public,
            quantity=data.quantity,
            expected_people=data.expected_people,
            quota_override_note=note,
        )
        db.session.add(booking)
        db.session.flush()
        record_booking("booking.created", booking, user, now)
        booking_id = booking.id
    return db.session.get(Booking, booking_id)


@dataclass(frozen=True)
class BookingChanges:
    """An edit: new times (aware UTC) and details; None keeps the current value."""

    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    description: str | None = None
    is_public: bool | None = None
    quantity: int | None = None
    expected_people: int | None = None
    clear_expected_people: bool = False  # no number of people any more
    quota_override_note: str = ""


SCOPES = ("one", "following", "all")


def _in_scope(booking: Booking, scope: str, now: datetime) -> list[Booking]:
    """The occurrences a change applies to: this one, this and the following, or all to come."""
    if scope == "one" or booking.series_id is None:
        return [booking]
    query = db.select(Booking).where(
        Booking.series_id == booking.series_id, Booking.status.in_(ACTIVE_STATUSES)
    )
    if scope == "following":
        query = query.where(Booking.start >= booking.start)
    else:
        query = query.where(Booking.end > now)
    query = query.order_by(Booking.start).execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def edit_booking(
    booking_id: int,
    changes: BookingChanges,
    user: User,
    scope: str = "one",
    now: datetime | None = None,
) -> list[Booking]:
    """Change a booking (or several occurrences of its series), re-checked like new ones.

    All occurrences in scope change together or none does. Each change bumps `sequence`
    so calendar apps replace their copy. Moving a booking that needed approval makes it
    pending again, unless a manager moves it.
    """
    now = now or utcnow()
    with lost_race(BookingRefused([LOST_RACE])), write_transaction(now=now):
        booking = db.session.get(Booking, booking_id)
        resource = lock_resource(booking.resource_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_change_booking(user, booking):
            raise BookingRefused(
                [Reason("forbidden", "", "Vous ne pouvez pas modifier cette réservation.")]
            )
        reasons = capacity_reasons(resource, changes.expected_people)
        if reasons:
            raise BookingRefused(reasons)
        targets = _in_scope(booking, scope, now)
        tz = resource.site.tz
        planned: list[tuple[Booking, datetime, datetime]] = []
        conflicts: list[SeriesConflict] = []
        for target in targets:
            start, end = target.start, target.end
            if changes.start is not None and changes.end is not None:
                if target.id == booking.id:
                    start, end = changes.start, changes.end
                else:
                    try:
                        start, end = rules.keep_wall_times(
                            target.start, changes.start, changes.end, tz
                        )
                    except NonexistentLocalTime as error:
                        conflicts.append(
                            SeriesConflict(
                                to_local(target.start, tz).date(),
                                [rules.nonexistent_time_reason(error)],
                            )
                        )
                        continue
            planned.append((target, start, end))
        ids = [t.id for t, _, _ in planned]
        for target, start, end in planned:
            moved = (start, end) != (target.start, target.end)
            quantity = changes.quantity or target.quantity
            if not moved and quantity == target.quantity:
                continue
            reasons = check(
                resource, target.organisation, user, start, end, quantity, now, exclude=ids
            )
            reasons += site_reasons(target.organisation, resource)  # moved: only where it works
            # Occurrences being moved together must not clash with each other either.
            others = [(s, e) for other, s, e in planned if other.id != target.id]
            buffer = timedelta(minutes=resource.buffer_minutes)
            clash = rules.clash_within_series(start, end, others, buffer, resource.is_room)
            reasons += [clash] if clash else []
            if reasons:
                conflicts.append(SeriesConflict(to_local(start, tz).date(), reasons))
        if conflicts:
            if len(planned) == 1 and len(conflicts) == 1 and scope == "one":
                raise BookingRefused(conflicts[0].reasons)
            raise SeriesRefused(conflicts)
        note = _quota_check(resource, booking.organisation_id, planned, changes, user, now)
        series = series_subject(booking, scope)
        for target, start, end in planned:
            before = booking_state(target)
            moved = (start, end) != (target.start, target.end)
            target.start, target.end = start, end
            target.occupied_until = end + timedelta(minutes=resource.buffer_minutes)
            if changes.title is not None:
                target.title = changes.title
            if changes.description is not None:
                target.description = changes.description
            if changes.is_public is not None:
                target.is_public = changes.is_public
            if changes.quantity is not None:
                target.quantity = changes.quantity
            if changes.clear_expected_people:
                target.expected_people = None
            elif changes.expected_people is not None:
                target.expected_people = changes.expected_people
            target.quota_override_note = note.get(target.id, target.quota_override_note)
            target.status = rules.status_after_move(
                target.status, moved, resource.requires_approval, permissions.is_manager(user)
            )
            record_booking_change(target, user, now, before, **series)
        if series and changes.start is not None:
            record_series_change("series.moved", booking, user, now, len(planned))
        result_ids = [t.id for t, _, _ in planned]
    return [db.session.get(Booking, i) for i in result_ids]


def _quota_check(
    resource: Resource,
    organisation_id: int,
    planned: list[tuple[Booking, datetime, datetime]],
    changes: BookingChanges,
    user: User,
    now: datetime,
) -> dict[int, str]:
    """Refuse moves that take a quota over its limit; the manager's note for those kept."""
    moved = [(t, s, e) for t, s, e in planned if (s, e) != (t.start, t.end)]
    if not moved:
        return {}
    asked = [(s, e) for _, s, e in moved]
    exclude = [t.id for t, _, _ in moved]
    organisation = db.session.get(Organisation, organisation_id)
    note = quotas.enforce(
        organisation, resource, asked, user, changes.quota_override_note, now, exclude
    )
    return {t.id: note for t, _, _ in moved} if note else {}


def capacity_reasons(resource: Resource, expected_people: int | None) -> list[Reason]:
    reason = capacity.capacity_reason(resource.name, resource.capacity, expected_people)
    return [reason] if reason else []


def cancel_booking(
    booking_id: int, user: User, scope: str = "one", now: datetime | None = None
) -> list[Booking]:
    """Cancel a booking (or occurrences of its series); rows stay, marked cancelled."""
    now = now or utcnow()
    with write_transaction(now=now):
        booking = db.session.get(Booking, booking_id)
        lock_resource(booking.resource_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_change_booking(user, booking):
            raise BookingRefused(
                [Reason("forbidden", "", "Vous ne pouvez pas annuler cette réservation.")]
            )
        targets = _in_scope(booking, scope, now)
        series = series_subject(booking, scope)
        for target in targets:
            before = booking_state(target)
            target.status = "cancelled"
            record_booking("booking.cancelled", target, user, now, before, **series)
        if series:
            record_series_change("series.cut", booking, user, now, len(targets))
        ids = [t.id for t in targets]
    return [db.session.get(Booking, i) for i in ids]
