"""Bookings: load what the rules need, call them, and write under a lock.

Every write that books runs in `write_transaction()` (SQLite: BEGIN IMMEDIATE, so writers
are serialised) after locking the resource row (PostgreSQL: SELECT ... FOR UPDATE), so the
check and the insert see the same world. On PostgreSQL the exclusion constraint
`ex_booking_no_overlap` backs this up for rooms; hitting it is reported like any conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import url_for

from pole import permissions
from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings import rules
from pole.bookings.models import ACTIVE_STATUSES, Booking, Series
from pole.core.locks import LOST_RACE, lock_row, lost_race
from pole.core.refusals import Reason, Refused
from pole.db import db, utcnow, write_transaction
from pole.mail import send_mail
from pole.organisations.models import Organisation
from pole.resources.models import Closure, Resource
from pole.timeutil import NonexistentLocalTime, local_to_utc, to_local


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


@dataclass(frozen=True)
class SeriesData:
    resource_id: int
    organisation_id: int
    title: str
    recurrence: rec.Recurrence
    description: str = ""
    is_public: bool = False
    quantity: int = 1


@dataclass(frozen=True)
class SeriesPreview:
    occurrences: list[rec.Occurrence]
    conflicts: list[SeriesConflict] = field(default_factory=list)
    description: str = ""

    @property
    def bookable(self) -> list[rec.Occurrence]:
        bad = {c.day for c in self.conflicts}
        return [o for o in self.occurrences if o.day not in bad]


# Loading what the rules need ---------------------------------------------------------------


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


def booking_label(booking: Booking, viewer: User | None) -> str:
    """What a person may read of a booking: private titles stay within their organisation."""
    if viewer is not None and permissions.can_see_booking_details(viewer, booking):
        return f"{booking.title} ({booking.organisation.short_name})"
    return f"Réservé — {booking.organisation.name}"


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


def occupations(
    resource: Resource,
    start: datetime,
    end: datetime,
    viewer: User | None,
    exclude: Iterable[int] = (),
) -> list[rules.Occupation]:
    # Widen by the buffer on both sides: the request's own cleaning time may hit a booking.
    margin = timedelta(minutes=resource.buffer_minutes)
    return [
        rules.Occupation(b.start, b.end, b.quantity, booking_label(b, viewer), b.id)
        for b in active_bookings([resource.id], start - margin, end + margin, exclude)
    ]


def closures_for(resource: Resource, start: datetime, end: datetime) -> list[rules.ClosurePeriod]:
    rows = db.session.scalars(
        db.select(Closure).where(
            Closure.site_id == resource.site_id,
            sa.or_(Closure.resource_id.is_(None), Closure.resource_id == resource.id),
            Closure.start < end,
            Closure.end > start,
        )
    )
    return [rules.ClosurePeriod(c.start, c.end, c.reason) for c in rows]


def _request(
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
    return rules.check_booking(
        _request(user, organisation, start, end, quantity),
        policy_of(resource),
        occupations(resource, start, end, user, exclude),
        closures_for(resource, start, end),
        now,
    )


def suggestions(
    resource: Resource,
    organisation: Organisation,
    user: User,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    now: datetime | None = None,
    exclude: Iterable[int] = (),
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
    others = []
    candidates = db.session.scalars(
        db.select(Resource)
        .where(
            Resource.site_id == resource.site_id,
            Resource.is_active,
            Resource.kind == resource.kind,
            Resource.id != resource.id,
        )
        .order_by(Resource.position, Resource.id)
    )
    for other in candidates:
        if quantity > other.quantity:
            continue
        if not check(other, organisation, user, start, end, quantity, now):
            others.append(other)
    return times, others


# Writing -----------------------------------------------------------------------------------


def lock_resource(resource_id: int) -> Resource:
    """Load the resource, holding its row lock until commit on PostgreSQL."""
    missing = BookingRefused.because("Cette ressource n'existe pas.", code="missing")
    return lock_row(Resource, resource_id, missing)


def _initial_status(resource: Resource, user: User) -> str:
    # A manager's own booking needs no approval from... the manager.
    if resource.requires_approval and not permissions.is_manager(user):
        return "pending"
    return "confirmed"


def _new_booking(
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


def create_booking(data: BookingData, user: User, now: datetime | None = None) -> Booking:
    """Book a resource for an organisation, or raise BookingRefused with the reasons."""
    now = now or utcnow()
    with lost_race(BookingRefused([LOST_RACE])), write_transaction():
        resource = lock_resource(data.resource_id)
        organisation = db.session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise BookingRefused([Reason("missing", "organisation", "Organisation inconnue.")])
        reasons = check(resource, organisation, user, data.start, data.end, data.quantity, now)
        if reasons:
            raise BookingRefused(reasons)
        booking = _new_booking(
            resource,
            organisation.id,
            user,
            data.start,
            data.end,
            title=data.title,
            description=data.description,
            is_public=data.is_public,
            quantity=data.quantity,
        )
        db.session.add(booking)
        db.session.flush()
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


def _shift_to_wall_times(
    occurrence: Booking, model: Booking, new_start: datetime, new_end: datetime, tz
) -> tuple[datetime, datetime]:
    """Apply the model's new local hours (not its date) to another occurrence of its series."""
    day = to_local(occurrence.start, tz).date()
    start_local, end_local = to_local(new_start, tz), to_local(new_end, tz)
    extra_days = (end_local.date() - start_local.date()).days
    start = local_to_utc(day, start_local.time(), tz)
    end = local_to_utc(day + timedelta(days=extra_days), end_local.time(), tz)
    return start, end


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
    with lost_race(BookingRefused([LOST_RACE])), write_transaction():
        booking = db.session.get(Booking, booking_id)
        resource = lock_resource(booking.resource_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_change_booking(user, booking):
            raise BookingRefused(
                [Reason("forbidden", "", "Vous ne pouvez pas modifier cette réservation.")]
            )
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
                        start, end = _shift_to_wall_times(
                            target, booking, changes.start, changes.end, tz
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
            # Occurrences being moved together must not clash with each other either.
            reasons += _clash_within(start, end, target, planned, resource)
            if reasons:
                conflicts.append(SeriesConflict(to_local(start, tz).date(), reasons))
        if conflicts:
            if len(planned) == 1 and len(conflicts) == 1 and scope == "one":
                raise BookingRefused(conflicts[0].reasons)
            raise SeriesRefused(conflicts)
        for target, start, end in planned:
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
            if moved and target.status == "confirmed":
                target.status = _initial_status(resource, user)
            target.sequence += 1
            target.updated_at = now
        result_ids = [t.id for t, _, _ in planned]
    return [db.session.get(Booking, i) for i in result_ids]


def _clash_within(
    start: datetime,
    end: datetime,
    target: Booking,
    planned: list[tuple[Booking, datetime, datetime]],
    resource: Resource,
) -> list[Reason]:
    if not resource.is_room:
        return []
    buffer = timedelta(minutes=resource.buffer_minutes)
    for other, other_start, other_end in planned:
        if other.id != target.id and rules.overlaps(
            start, end + buffer, other_start, other_end + buffer
        ):
            return [Reason("overlap", "start", "Deux dates de la série se chevauchent.")]
    return []


def cancel_booking(
    booking_id: int, user: User, scope: str = "one", now: datetime | None = None
) -> list[Booking]:
    """Cancel a booking (or occurrences of its series); rows stay, marked cancelled."""
    now = now or utcnow()
    with write_transaction():
        booking = db.session.get(Booking, booking_id)
        lock_resource(booking.resource_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_change_booking(user, booking):
            raise BookingRefused(
                [Reason("forbidden", "", "Vous ne pouvez pas annuler cette réservation.")]
            )
        targets = _in_scope(booking, scope, now)
        for target in targets:
            target.status = "cancelled"
            target.sequence += 1
            target.updated_at = now
        ids = [t.id for t in targets]
    return [db.session.get(Booking, i) for i in ids]


def _decide(booking_id: int, manager: User, status: str, note: str, now: datetime) -> Booking:
    with write_transaction():
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_approve_bookings(manager):
            raise BookingRefused([Reason("forbidden", "", "Réservé à la gestion du bâtiment.")])
        if booking.status != "pending":
            raise BookingRefused([Reason("state", "", "Cette demande a déjà été traitée.")])
        booking.status = status
        booking.decided_by_id = manager.id
        booking.decision_note = note
        booking.sequence += 1
        booking.updated_at = now
    return db.session.get(Booking, booking_id)


def approve_booking(booking_id: int, manager: User, now: datetime | None = None) -> Booking:
    """Confirm a pending booking and tell the person who asked."""
    booking = _decide(booking_id, manager, "confirmed", "", now or utcnow())
    _notify_decision(booking)
    return booking


def reject_booking(
    booking_id: int, manager: User, note: str, now: datetime | None = None
) -> Booking:
    """Refuse a pending booking, with a reason sent to the person who asked."""
    booking = _decide(booking_id, manager, "rejected", note.strip(), now or utcnow())
    _notify_decision(booking)
    return booking


def _notify_decision(booking: Booking) -> None:
    if booking.created_by is None:
        return
    tz = booking.resource.site.tz
    when = f"{to_local(booking.start, tz):%d/%m/%Y de %H:%M} à {to_local(booking.end, tz):%H:%M}"
    link = url_for("bookings.show", booking_id=booking.id, _external=True)
    if booking.status == "confirmed":
        subject = f"Réservation confirmée : {booking.resource.name}"
        body = (
            f"Bonjour {booking.created_by.name},\n\n"
            f"Votre réservation « {booking.title} » ({booking.resource.name}, le {when}) "
            f"pour {booking.organisation.name} est confirmée.\n\n{link}\n"
        )
    else:
        subject = f"Réservation refusée : {booking.resource.name}"
        body = (
            f"Bonjour {booking.created_by.name},\n\n"
            f"Votre demande « {booking.title} » ({booking.resource.name}, le {when}) "
            f"pour {booking.organisation.name} n'a pas pu être acceptée.\n\n"
            f"Motif : {booking.decision_note or 'non précisé'}\n\n{link}\n"
        )
    send_mail(booking.created_by.email, subject, body)


# Series ------------------------------------------------------------------------------------


def _horizon(resource: Resource, now: datetime) -> date:
    return to_local(now, resource.site.tz).date() + timedelta(days=resource.max_days_ahead)


def preview_series(
    data: SeriesData, user: User, now: datetime | None = None, replacing: Iterable[int] = ()
) -> SeriesPreview:
    """Lay out a series and list the dates that cannot be booked, with their reasons.

    Bookings in `replacing` (those the series would take the place of) are no clash.
    """
    now = now or utcnow()
    resource = db.session.get(Resource, data.resource_id)
    organisation = db.session.get(Organisation, data.organisation_id)
    return _preview(resource, organisation, data, user, now, replacing)


def _preview(
    resource: Resource,
    organisation: Organisation,
    data: SeriesData,
    user: User,
    now: datetime,
    replacing: Iterable[int] = (),
) -> SeriesPreview:
    occurrences = rec.expand(data.recurrence, resource.site.tz, _horizon(resource, now))
    conflicts: list[SeriesConflict] = []
    timed = [o for o in occurrences if o.start is not None]
    existing: list[rules.Occupation] = []
    if timed:
        existing = occupations(resource, timed[0].start, timed[-1].end, user, replacing)
    policy = policy_of(resource)
    closures = closures_for(resource, timed[0].start, timed[-1].end) if timed else []
    for occurrence in occurrences:
        if occurrence.start is None:
            conflicts.append(
                SeriesConflict(
                    occurrence.day, [Reason("nonexistent_time", "start", occurrence.problem)]
                )
            )
            continue
        reasons = rules.check_booking(
            _request(user, organisation, occurrence.start, occurrence.end, data.quantity),
            policy,
            existing,
            closures,
            now,
        )
        if reasons:
            conflicts.append(SeriesConflict(occurrence.day, reasons))
    return SeriesPreview(occurrences, conflicts, rec.describe(data.recurrence))


def create_series(
    data: SeriesData,
    user: User,
    skip: Iterable[date] = (),
    now: datetime | None = None,
    replacing: Iterable[int] = (),
    on_saved: Callable[[Series], None] | None = None,
) -> Series:
    """Save a series and all its occurrences, or nothing: raise SeriesRefused with conflicts.

    Dates in `skip` are left out (recorded on the series); every other date must be free.
    Bookings in `replacing` are no clash and are cancelled in the same transaction (a
    permanence changing its pattern from a date). `on_saved(series)` runs inside that
    transaction too, so what belongs with the series is saved with it or not at all.
    """
    now = now or utcnow()
    skip = set(skip)
    replacing = list(replacing)
    recurrence = replace(data.recurrence, skipped=frozenset(data.recurrence.skipped | skip))
    data = replace(data, recurrence=recurrence)
    with lost_race(BookingRefused([LOST_RACE])), write_transaction():
        resource = lock_resource(data.resource_id)
        organisation = db.session.get(Organisation, data.organisation_id)
        preview = _preview(resource, organisation, data, user, now, replacing)
        if preview.conflicts:
            raise SeriesRefused(preview.conflicts)
        if not preview.occurrences:
            raise SeriesRefused([])
        if replacing:
            replaced = db.session.scalars(
                db.select(Booking).where(
                    Booking.id.in_(replacing),
                    Booking.resource_id == resource.id,
                    Booking.status.in_(ACTIVE_STATUSES),
                )
            )
            for booking in replaced:
                booking.status = "cancelled"
                booking.sequence += 1
                booking.updated_at = now
            db.session.flush()  # before the inserts, or the exclusion constraint fires
        series = Series(
            resource_id=resource.id,
            organisation_id=organisation.id,
            created_by_id=user.id,
            title=data.title,
            description=data.description,
            is_public=data.is_public,
            quantity=data.quantity,
            freq=recurrence.freq,
            interval=recurrence.interval,
            weekdays=sorted(recurrence.weekdays),
            month_week=recurrence.month_week,
            first_day=recurrence.first_day,
            until=recurrence.until,
            count=recurrence.count,
            start_time=recurrence.start_time.strftime("%H:%M"),
            end_time=recurrence.end_time.strftime("%H:%M"),
            skipped=sorted(d.isoformat() for d in recurrence.skipped),
        )
        db.session.add(series)
        db.session.flush()
        for occurrence in preview.occurrences:
            db.session.add(
                _new_booking(
                    resource,
                    organisation.id,
                    user,
                    occurrence.start,
                    occurrence.end,
                    series_id=series.id,
                    title=data.title,
                    description=data.description,
                    is_public=data.is_public,
                    quantity=data.quantity,
                )
            )
        if on_saved is not None:
            db.session.flush()
            on_saved(series)
        series_id = series.id
    return db.session.get(Series, series_id)


# Queries for the screens -------------------------------------------------------------------


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
            .where(Closure.site_id == site_id, Closure.start < end, Closure.end > start)
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


def recurrence_of(series: Series) -> rec.Recurrence:
    """The rule of a saved series, as the recurrence module reads it."""
    return rec.Recurrence(
        first_day=series.first_day,
        start_time=time.fromisoformat(series.start_time),
        end_time=time.fromisoformat(series.end_time),
        freq=series.freq,
        interval=series.interval,
        weekdays=frozenset(series.weekdays or ()),
        month_week=series.month_week,
        until=series.until,
        count=series.count,
        skipped=frozenset(date.fromisoformat(d) for d in series.skipped or ()),
    )


def pending_bookings() -> list[Booking]:
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(Booking.status == "pending")
            .options(sa.orm.joinedload(Booking.resource), sa.orm.joinedload(Booking.organisation))
            .order_by(Booking.start)
        )
    )
