"""Publish a permanence (its room booked as a CCAS series) and change its pattern from a date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from pole import permissions
from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings import services as bookings
from pole.bookings.models import ACTIVE_STATUSES, Booking, Series
from pole.core.refusals import Reason
from pole.db import db, utcnow
from pole.events.states import record_permanence
from pole.formatting import format_day, format_hhmm, format_numeric_date
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import Appointment, Permanence, PermanencePattern
from pole.permanences.services.data import Outcome, PatternData, PermanenceData, PermanenceRefused
from pole.permanences.services.loading import (
    active_appointments,
    cancelled_days,
    get_permanence,
    lock_permanence,
    mark_cancelled,
    require_manager_of,
    today_at,
    tz_of,
)
from pole.permanences.services.mail import mail_associations
from pole.resources.models import Resource
from pole.timeutil import local_day_bounds, to_local


def _series_data(
    resource_id: int, organisation_id: int, title: str, pattern: PatternData
) -> bookings.SeriesData:
    return bookings.SeriesData(
        resource_id=resource_id,
        organisation_id=organisation_id,
        title=title,
        description="Permanence sur rendez-vous : les créneaux se réservent dans Pôle.",
        recurrence=rec.Recurrence(
            first_day=pattern.first_day,
            start_time=pattern.start_time,
            end_time=pattern.end_time,
            freq="weekly",
            weekdays=frozenset(pattern.weekdays),
            until=pattern.until,
        ),
    )


def _pattern_reasons(
    resource: Resource | None,
    pattern: PatternData,
    open_days_ahead: int,
    fair_share: rules.FairShare,
    now: datetime,
) -> list[Reason]:
    reasons = rules.check_pattern(pattern.as_rule(), open_days_ahead, fair_share)
    if resource is None or not resource.is_room or not resource.is_active:
        reasons.append(Reason("resource", "resource_id", "Choisissez une salle."))
        return reasons
    horizon = to_local(now, resource.site.tz).date() + timedelta(days=resource.max_days_ahead)
    if pattern.until > horizon:
        reasons.append(
            Reason(
                "too_far",
                "until",
                f"{resource.name} se réserve au plus {resource.max_days_ahead} jours à l'avance : "
                f"choisissez une date de fin jusqu'au {format_numeric_date(horizon)}.",
            )
        )
    return reasons


def _pattern_row(
    permanence_id: int, series_id: int, pattern: PatternData, skipped: Iterable[date], user: User
) -> PermanencePattern:
    return PermanencePattern(
        permanence_id=permanence_id,
        series_id=series_id,
        valid_from=pattern.first_day,
        until=pattern.until,
        weekdays=sorted(pattern.weekdays),
        start_time=format_hhmm(pattern.start_time),
        end_time=format_hhmm(pattern.end_time),
        slot_minutes=pattern.slot_minutes,
        pause_start=format_hhmm(pattern.pause_start) if pattern.pause_start else None,
        pause_end=format_hhmm(pattern.pause_end) if pattern.pause_end else None,
        skipped=sorted(d.isoformat() for d in skipped),
        created_by_id=user.id,
    )


# Publishing -----------------------------------------------------------------------------------


def preview_permanence(
    data: PermanenceData, user: User, now: datetime | None = None
) -> bookings.SeriesPreview:
    """Lay out the room series of a new permanence and list the dates that clash."""
    now = now or utcnow()
    _check_new(data, user, now)
    series = _series_data(data.resource_id, data.organisation_id, data.title, data.pattern)
    return bookings.preview_series(series, user, now)


def _check_new(data: PermanenceData, user: User, now: datetime) -> None:
    _require_publisher(user)
    resource = db.session.get(Resource, data.resource_id)
    fair_share = rules.FairShare(data.fair_share_limit, data.fair_share_hours)
    reasons = _pattern_reasons(resource, data.pattern, data.open_days_ahead, fair_share, now)
    if reasons:
        raise PermanenceRefused(reasons)


def publish_permanence(
    data: PermanenceData, user: User, skip: Iterable[date] = (), now: datetime | None = None
) -> Permanence:
    """Publish a permanence: its room is booked as a CCAS series, all dates or none.

    Raises PermanenceRefused (the pattern is wrong), bookings.SeriesRefused (dates clash:
    nothing saved, the caller may skip them) or bookings.BookingRefused (a lost race).
    """
    now = now or utcnow()
    _check_new(data, user, now)  # the pattern's own reasons come before the room's
    skip = set(skip)
    saved: dict[str, int] = {}

    def save(series: Series) -> None:
        permanence = Permanence(
            title=data.title,
            resource_id=data.resource_id,
            organisation_id=data.organisation_id,
            social_worker_id=user.id,
            open_days_ahead=data.open_days_ahead,
            fair_share_limit=data.fair_share_limit,
            fair_share_hours=data.fair_share_hours,
            created_at=now,
            updated_at=now,
        )
        db.session.add(permanence)
        db.session.flush()
        db.session.add(_pattern_row(permanence.id, series.id, data.pattern, skip, user))
        saved["id"] = permanence.id
        record_permanence("permanence.published", permanence, user, now)

    series = _series_data(data.resource_id, data.organisation_id, data.title, data.pattern)
    bookings.create_series(series, user, skip, now, on_saved=save)
    return db.session.get(Permanence, saved["id"])


def _require_publisher(user: User) -> None:
    if not permissions.can_publish_permanence(user):
        raise PermanenceRefused.because(
            "Seuls les travailleurs sociaux publient des permanences.", code="forbidden"
        )


def publishable_rooms() -> list[Resource]:
    """Rooms a CCAS may book, where a permanence can be held."""
    rooms = db.session.scalars(
        db.select(Resource)
        .where(Resource.is_active, Resource.kind == "room")
        .order_by(Resource.position, Resource.id)
    )
    return [r for r in rooms if "ccas" in r.allowed_kinds]


def ccas_of(user: User) -> list[Organisation]:
    """The CCAS organisations a permanence can be published for by this person."""
    if permissions.is_manager(user):
        query = db.select(Organisation).where(Organisation.kind == "ccas", Organisation.is_active)
        return list(db.session.scalars(query.order_by(Organisation.name)))
    return [o for o in user.organisations() if o.kind == "ccas" and o.is_active]


# Changing the pattern from a date -------------------------------------------------------------


def _replaced_bookings(permanence: Permanence, from_day: date) -> list[int]:
    """The room bookings of the permanence from that date on: the new pattern replaces them."""
    series_ids = [p.series_id for p in permanence.patterns if p.series_id is not None]
    if not series_ids:
        return []
    since, _ = local_day_bounds(from_day, tz_of(permanence))
    return list(
        db.session.scalars(
            db.select(Booking.id).where(
                Booking.series_id.in_(series_ids),
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start >= since,
            )
        )
    )


def _change_reasons(permanence: Permanence, pattern: PatternData, now: datetime) -> list[Reason]:
    reasons = _pattern_reasons(
        permanence.resource,
        pattern,
        permanence.open_days_ahead,
        permanence.fair_share,
        now,
    )
    if pattern.first_day < today_at(permanence, now):
        reasons.append(
            Reason("past", "first_day", "Un changement s'applique à partir d'aujourd'hui.")
        )
    return reasons


def _with_skipped(series: bookings.SeriesData, days: set[date]) -> bookings.SeriesData:
    recurrence = series.recurrence
    return replace(series, recurrence=replace(recurrence, skipped=recurrence.skipped | days))


def change_pattern(
    permanence_id: int,
    pattern: PatternData,
    user: User,
    skip: Iterable[date] = (),
    now: datetime | None = None,
) -> Outcome:
    """Change the pattern from `pattern.first_day` on; earlier dates keep their appointments.

    From that date the room series is replaced, all at once or not at all. Appointments
    that still fit a slot of the new pattern are kept; the others are cancelled and their
    association is told, as for a cancelled date. Dates already cancelled stay cancelled.
    """
    now = now or utcnow()
    permanence = get_permanence(permanence_id)
    require_manager_of(user, permanence)
    reasons = _change_reasons(permanence, pattern, now)
    if reasons:
        raise PermanenceRefused(reasons)
    from_day = pattern.first_day
    kept_cancelled = cancelled_days(permanence.id, from_day)
    skip = set(skip)
    replacing = _replaced_bookings(permanence, from_day)
    tz = tz_of(permanence)
    dropped: list[Appointment] = []
    outcome: list[Outcome] = []  # the mails are queued with the change, in save()

    def save(series: Series) -> None:
        locked = lock_permanence(permanence_id)
        for old in list(locked.patterns):
            if old.valid_from >= from_day:
                db.session.delete(old)  # superseded entirely; its bookings were replaced
            elif old.until >= from_day:
                old.until = from_day - timedelta(days=1)
                if old.series is not None and old.series.until is not None:
                    old.series.until = old.until
        db.session.flush()
        db.session.add(_pattern_row(locked.id, series.id, pattern, skip, user))
        locked.updated_at = now
        new_rule = pattern.as_rule(skip | kept_cancelled)
        for appointment in active_appointments(locked.id, since=from_day):
            slot = None
            if new_rule.holds_on(appointment.day):
                slot = rules.find_slot(new_rule, appointment.day, appointment.start, tz)
            if slot is None or slot.end != appointment.end:
                mark_cancelled(appointment, user)
                dropped.append(appointment)
        record_permanence("permanence.changed", locked, user, now, from_day=from_day.isoformat())
        db.session.flush()
        outcome.append(
            mail_associations(locked.id, [a.id for a in dropped], message, "Permanence modifiée")
        )

    message = (
        f"La permanence « {permanence.title} » change d'horaires à partir du "
        f"{format_day(from_day)} : votre rendez-vous ne tient plus dans les nouveaux créneaux "
        "et il est annulé. Vous pouvez en réserver un autre."
    )
    series = _series_data(
        permanence.resource_id, permanence.organisation_id, permanence.title, pattern
    )
    series = _with_skipped(series, kept_cancelled)
    bookings.create_series(series, user, skip, now, replacing=replacing, on_saved=save)
    return outcome[-1]
