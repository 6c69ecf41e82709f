"""Permanences: publish them, book their slots, call dates off, purge old appointments.

Writes that decide who gets a slot run in `write_transaction()` (SQLite: BEGIN IMMEDIATE)
after locking the permanence row (PostgreSQL: SELECT ... FOR UPDATE), so the checks (slot
free, fair share, date not cancelled) and the insert see the same world. The partial unique
index `uq_appointment_active_slot` backs this up: a lost race is a clean refusal.

The room itself is booked through the booking services, as a series owned by the CCAS, so
every booking rule applies and clashes are listed before publishing. Beneficiary references
and notes never leave this module except towards the social worker and the booking
association: not in mails, not in feeds, not in logs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from pole import permissions
from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings import services as bookings
from pole.bookings.models import ACTIVE_STATUSES, Booking, Series
from pole.bookings.rules import Reason
from pole.db import db, utcnow, write_transaction
from pole.mail import send_mail
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import (
    Appointment,
    BlockedSlot,
    Permanence,
    PermanenceCancellation,
    PermanenceNotice,
    PermanencePattern,
)
from pole.resources.models import Resource
from pole.timeutil import format_day, local_day_bounds, to_local

log = logging.getLogger("pole.permanences")

UNIQUE_VIOLATION = "23505"
MARKS = ("booked", "seen", "no_show", "cancelled")


class PermanenceRefused(Exception):
    """A permanence change cannot be made; `reasons` say why, field by field."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        super().__init__("; ".join(r.message for r in reasons))
        self.reasons = list(reasons)


class AppointmentRefused(PermanenceRefused):
    """A slot cannot be booked or cancelled; `reasons` say why."""

    @property
    def lost_race(self) -> bool:
        return any(r.code == "taken" for r in self.reasons)


def _refuse(message: str, field_name: str = "", code: str = "refused") -> PermanenceRefused:
    return PermanenceRefused([Reason(code, field_name, message)])


# What people ask for --------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternData:
    """A pattern in local wall time, from `first_day` until `until` (both included)."""

    weekdays: frozenset[int]
    start_time: time
    end_time: time
    slot_minutes: int
    first_day: date
    until: date
    pause_start: time | None = None
    pause_end: time | None = None

    def as_rule(self, skipped: Iterable[date] = ()) -> rules.Pattern:
        return rules.Pattern(
            valid_from=self.first_day,
            until=self.until,
            weekdays=frozenset(self.weekdays),
            start=self.start_time,
            end=self.end_time,
            slot_minutes=self.slot_minutes,
            pause_start=self.pause_start,
            pause_end=self.pause_end,
            skipped=frozenset(skipped),
        )


@dataclass(frozen=True)
class PermanenceData:
    resource_id: int
    organisation_id: int  # the CCAS that owns the room bookings
    title: str
    pattern: PatternData
    open_days_ahead: int = 21
    fair_share_limit: int = 2
    fair_share_hours: int = 48


@dataclass(frozen=True)
class AppointmentData:
    organisation_id: int
    purpose: str
    for_whom: str = "beneficiary"
    note: str = ""
    beneficiary_ref: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a change did, for the screen that tells the social worker."""

    notified: list[str] = field(default_factory=list)  # association names told by mail
    cancelled: int = 0  # appointments cancelled
    mail_failed: bool = False


# Loading --------------------------------------------------------------------------------------


def lock_permanence(permanence_id: int) -> Permanence:
    """Load the permanence, holding its row lock until commit on PostgreSQL."""
    permanence = db.session.scalar(
        db.select(Permanence)
        .where(Permanence.id == permanence_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if permanence is None:
        raise _refuse("Cette permanence n'existe pas.", code="missing")
    return permanence


def get_permanence(permanence_id: int) -> Permanence:
    permanence = db.session.get(Permanence, permanence_id)
    if permanence is None:
        raise _refuse("Cette permanence n'existe pas.", code="missing")
    return permanence


def tz_of(permanence: Permanence):  # noqa: ANN201 (a ZoneInfo)
    return permanence.resource.site.tz


def _today(permanence: Permanence, now: datetime) -> date:
    return to_local(now, tz_of(permanence)).date()


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
                f"choisissez une date de fin jusqu'au {horizon:%d/%m/%Y}.",
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
        start_time=f"{pattern.start_time:%H:%M}",
        end_time=f"{pattern.end_time:%H:%M}",
        slot_minutes=pattern.slot_minutes,
        pause_start=f"{pattern.pause_start:%H:%M}" if pattern.pause_start else None,
        pause_end=f"{pattern.pause_end:%H:%M}" if pattern.pause_end else None,
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

    series = _series_data(data.resource_id, data.organisation_id, data.title, data.pattern)
    bookings.create_series(series, user, skip, now, on_saved=save)
    return db.session.get(Permanence, saved["id"])


def _require_publisher(user: User) -> None:
    if not permissions.can_publish_permanence(user):
        raise _refuse("Seuls les travailleurs sociaux publient des permanences.", code="forbidden")


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


def _cancelled_days(permanence_id: int, since: date | None = None) -> set[date]:
    query = db.select(PermanenceCancellation.day).where(
        PermanenceCancellation.permanence_id == permanence_id
    )
    if since is not None:
        query = query.where(PermanenceCancellation.day >= since)
    return set(db.session.scalars(query))


def _change_reasons(permanence: Permanence, pattern: PatternData, now: datetime) -> list[Reason]:
    reasons = _pattern_reasons(
        permanence.resource,
        pattern,
        permanence.open_days_ahead,
        permanence.fair_share,
        now,
    )
    if pattern.first_day < _today(permanence, now):
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
    _require_manager_of(user, permanence)
    reasons = _change_reasons(permanence, pattern, now)
    if reasons:
        raise PermanenceRefused(reasons)
    from_day = pattern.first_day
    kept_cancelled = _cancelled_days(permanence.id, from_day)
    skip = set(skip)
    replacing = _replaced_bookings(permanence, from_day)
    tz = tz_of(permanence)
    dropped: list[Appointment] = []

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
        for appointment in _active_appointments(locked.id, since=from_day):
            slot = None
            if new_rule.holds_on(appointment.day):
                slot = rules.find_slot(new_rule, appointment.day, appointment.start, tz)
            if slot is None or slot.end != appointment.end:
                _cancel(appointment, user, now)
                dropped.append(appointment)
        _leave_notices(locked, dropped, message)
        db.session.flush()

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
    return _mail_associations(
        permanence.id, [a.id for a in dropped], message, "Permanence modifiée"
    )


# Cancelling a date ----------------------------------------------------------------------------


def cancel_date(
    permanence_id: int, day: date, user: User, reason: str = "", now: datetime | None = None
) -> Outcome:
    """Call one date off: its slots are cancelled, the room released, associations told."""
    now = now or utcnow()
    reason = reason.strip()
    permanence = get_permanence(permanence_id)
    _require_manager_of(user, permanence)
    room_booking = _room_booking_on(permanence, day)
    if room_booking is not None and not permissions.can_change_booking(user, room_booking):
        raise _refuse(
            "Vous ne pouvez pas libérer la salle de cette permanence : "
            "demandez-le à la gestion du bâtiment.",
            code="forbidden",
        )
    why = f" ({reason})" if reason else ""
    message = (
        f"La permanence « {permanence.title} » du {format_day(day)} est annulée{why}. "
        "Votre rendez-vous de ce jour-là est annulé : vous pouvez en réserver un autre."
    )
    with write_transaction():
        permanence = lock_permanence(permanence_id)
        tz = tz_of(permanence)
        pattern = rules.pattern_on(permanence.rule_patterns(), day)
        if pattern is None or not pattern.holds_on(day):
            raise _refuse("La permanence n'a pas lieu ce jour-là.", code="no_session")
        if day in _cancelled_days(permanence.id, day):
            raise _refuse("Cette date est déjà annulée.", code="already")
        _, session_end = rules.session_bounds(pattern, day, tz)
        if session_end <= now:
            raise _refuse("Cette date est passée : elle ne peut plus être annulée.", code="past")
        db.session.add(
            PermanenceCancellation(
                permanence_id=permanence.id,
                day=day,
                reason=reason,
                cancelled_by_id=user.id,
                created_at=now,
            )
        )
        dropped = []
        for appointment in _active_appointments(permanence.id, since=day, until=day):
            if appointment.status == "booked":
                _cancel(appointment, user, now)
                dropped.append(appointment)
        _leave_notices(permanence, dropped, message)
        dropped_ids = [a.id for a in dropped]
    if room_booking is not None:
        try:
            bookings.cancel_booking(room_booking.id, user, scope="one", now=now)
        except bookings.BookingRefused:
            # Released meanwhile (the manager cancelled it): the room is free all the same.
            log.info(
                "Permanence %s: room booking %s already released", permanence_id, room_booking.id
            )
    return _mail_associations(permanence_id, dropped_ids, message, "Permanence annulée")


def _room_booking_on(permanence: Permanence, day: date) -> Booking | None:
    series_ids = [p.series_id for p in permanence.patterns if p.series_id is not None]
    if not series_ids:
        return None
    day_start, day_end = local_day_bounds(day, tz_of(permanence))
    return db.session.scalar(
        db.select(Booking).where(
            Booking.series_id.in_(series_ids),
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start >= day_start,
            Booking.start < day_end,
        )
    )


def _by_organisation(appointments: Iterable[Appointment]) -> dict[int, list[Appointment]]:
    by_org: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in sorted(appointments, key=lambda a: a.start):
        by_org[appointment.organisation_id].append(appointment)
    return by_org


def _times(appointments: Iterable[Appointment], permanence: Permanence) -> str:
    return ", ".join(f"{to_local(a.start, tz_of(permanence)):%H:%M}" for a in appointments)


def _leave_notices(permanence: Permanence, appointments: list[Appointment], message: str) -> None:
    """A notice on the home page of each association that lost an appointment, per date."""
    for org_id, held in _by_organisation(appointments).items():
        for day in sorted({a.day for a in held}):
            times = _times([a for a in held if a.day == day], permanence)
            db.session.add(
                PermanenceNotice(
                    organisation_id=org_id,
                    permanence_id=permanence.id,
                    day=day,
                    message=f"{message} Créneau(x) du {format_day(day)} : {times}."[:400],
                )
            )


def _mail_associations(
    permanence_id: int, appointment_ids: list[int], message: str, subject: str
) -> Outcome:
    """Mail the volunteers who booked (and each association's address) about lost slots."""
    if not appointment_ids:
        return Outcome()
    appointments = db.session.scalars(
        db.select(Appointment).where(Appointment.id.in_(appointment_ids))
    ).all()
    by_org = _by_organisation(appointments)
    permanence = db.session.get(Permanence, permanence_id)
    failed = False
    names = []
    link = _home_link()
    for held in by_org.values():
        organisation = held[0].organisation
        names.append(organisation.name)
        addresses = {a.booked_by.email for a in held if a.booked_by is not None}
        if organisation.email:
            addresses.add(organisation.email)
        times = _times(held, permanence)
        # Only the date, the times and the association: never the reference or the note.
        body = (
            f"Bonjour,\n\n{message}\n\n"
            f"Association : {organisation.name}\n"
            f"Créneau(x) : {format_day(held[0].day)} à {times}\n" + (f"\n{link}\n" if link else "")
        )
        for address in sorted(addresses):
            try:
                send_mail(address, f"{subject} : {format_day(held[0].day)}", body)
            except OSError:
                failed = True
                log.warning("Permanence %s: a notice mail could not be sent", permanence_id)
    return Outcome(notified=sorted(names), cancelled=len(appointments), mail_failed=failed)


def _home_link() -> str:
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("main.home", _external=True)
    return ""


def _require_manager_of(user: User, permanence: Permanence) -> None:
    if not permissions.can_manage_permanence(user, permanence):
        raise _refuse("Seule la travailleuse sociale de cette permanence peut la modifier.")


# Blocking slots -------------------------------------------------------------------------------


def _slot_of(permanence: Permanence, start: datetime) -> rules.Slot:
    tz = tz_of(permanence)
    day = to_local(start, tz).date()
    pattern = rules.pattern_on(permanence.rule_patterns(), day)
    slot = None
    if pattern is not None and pattern.holds_on(day):
        slot = rules.find_slot(pattern, day, start, tz)
    if slot is None:
        raise AppointmentRefused(
            [Reason("missing", "slot", "Ce créneau n'existe pas ou plus dans cette permanence.")]
        )
    return slot


def block_slot(permanence_id: int, start: datetime, user: User) -> None:
    """Keep one slot out of bookings; a slot with an appointment must be freed first."""
    with write_transaction():
        permanence = lock_permanence(permanence_id)
        _require_manager_of(user, permanence)
        slot = _slot_of(permanence, start)
        if _appointment_at(permanence.id, slot.start) is not None:
            raise _refuse(
                "Ce créneau a un rendez-vous : annulez-le d'abord depuis la feuille du jour."
            )
        if _is_blocked(permanence.id, slot.start):
            return
        db.session.add(
            BlockedSlot(permanence_id=permanence.id, start=slot.start, created_by_id=user.id)
        )


def unblock_slot(permanence_id: int, start: datetime, user: User) -> None:
    """Open a blocked slot to bookings again."""
    with write_transaction():
        permanence = lock_permanence(permanence_id)
        _require_manager_of(user, permanence)
        db.session.execute(
            sa.delete(BlockedSlot).where(
                BlockedSlot.permanence_id == permanence.id, BlockedSlot.start == start
            )
        )


def _is_blocked(permanence_id: int, start: datetime) -> bool:
    return (
        db.session.scalar(
            db.select(BlockedSlot.id).where(
                BlockedSlot.permanence_id == permanence_id, BlockedSlot.start == start
            )
        )
        is not None
    )


# Appointments ---------------------------------------------------------------------------------


def _appointment_at(permanence_id: int, start: datetime) -> Appointment | None:
    return db.session.scalar(
        db.select(Appointment).where(
            Appointment.permanence_id == permanence_id,
            Appointment.start == start,
            Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def _active_appointments(
    permanence_id: int, since: date, until: date | None = None
) -> list[Appointment]:
    query = db.select(Appointment).where(
        Appointment.permanence_id == permanence_id,
        Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
        Appointment.day >= since,
    )
    if until is not None:
        query = query.where(Appointment.day <= until)
    return list(db.session.scalars(query.order_by(Appointment.start)))


def _held(permanence_id: int, day: date, organisation_id: int) -> int:
    return db.session.scalar(
        db.select(sa.func.count(Appointment.id)).where(
            Appointment.permanence_id == permanence_id,
            Appointment.day == day,
            Appointment.organisation_id == organisation_id,
            Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def _cancel(appointment: Appointment, user: User | None, now: datetime) -> None:
    appointment.status = "cancelled"
    appointment.cancelled_by_id = user.id if user is not None else None
    appointment.sequence += 1
    appointment.updated_at = now


def _data_reasons(data: AppointmentData) -> list[Reason]:
    reasons = []
    if data.purpose not in rules.PURPOSES:
        reasons.append(Reason("purpose", "purpose", "Choisissez l'objet du rendez-vous."))
    if data.for_whom not in rules.FOR_WHOM:
        reasons.append(Reason("for_whom", "for_whom", "Indiquez pour qui est le rendez-vous."))
    reference = rules.check_reference(data.beneficiary_ref)
    if reference:
        reasons.append(reference)
    if len(data.note) > rules.NOTE_MAX:
        reasons.append(Reason("note", "note", f"{rules.NOTE_MAX} caractères au plus."))
    return reasons


def _is_unique_violation(error: sa.exc.IntegrityError) -> bool:
    if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(error.orig)


def book_slot(
    permanence_id: int,
    start: datetime,
    data: AppointmentData,
    user: User,
    now: datetime | None = None,
) -> Appointment:
    """Book one slot for an association, or raise AppointmentRefused with the reasons.

    Under the permanence lock: the slot is free, the date not cancelled, the slot not
    blocked, the window open and the association within its fair share.
    """
    now = now or utcnow()
    reasons = _data_reasons(data)
    organisation = db.session.get(Organisation, data.organisation_id)
    if organisation is None or not permissions.can_book_slot(user, organisation):
        reasons.append(
            Reason(
                "membership",
                "organisation_id",
                "Vous réservez pour une association dont vous êtes membre.",
            )
        )
    if reasons:
        raise AppointmentRefused(reasons)
    beneficiary_ref = data.beneficiary_ref.strip() if data.for_whom == "beneficiary" else ""
    try:
        with write_transaction():
            permanence = lock_permanence(permanence_id)
            slot = _slot_of(permanence, start)
            tz = tz_of(permanence)
            if slot.day in _cancelled_days(permanence.id, slot.day):
                raise AppointmentRefused(
                    [Reason("cancelled", "slot", "La permanence de ce jour-là est annulée.")]
                )
            if _is_blocked(permanence.id, slot.start):
                raise AppointmentRefused(
                    [Reason("blocked", "slot", "Ce créneau n'est pas ouvert aux rendez-vous.")]
                )
            pattern = rules.pattern_on(permanence.rule_patterns(), slot.day)
            session_start, _ = rules.session_bounds(pattern, slot.day, tz)
            reasons = rules.check_appointment(
                slot,
                session_start,
                held=_held(permanence.id, slot.day, organisation.id),
                taken=_appointment_at(permanence.id, slot.start) is not None,
                open_days_ahead=permanence.open_days_ahead,
                fair_share=permanence.fair_share,
                tz=tz,
                now=now,
            )
            if reasons:
                raise AppointmentRefused(reasons)
            appointment = Appointment(
                permanence_id=permanence.id,
                day=slot.day,
                start=slot.start,
                end=slot.end,
                organisation_id=organisation.id,
                booked_by_id=user.id,
                for_whom=data.for_whom,
                purpose=data.purpose,
                note=data.note.strip(),
                beneficiary_ref=beneficiary_ref,
                status="booked",
                created_at=now,
                updated_at=now,
            )
            db.session.add(appointment)
            db.session.flush()
            appointment_id = appointment.id
    except sa.exc.IntegrityError as error:
        if _is_unique_violation(error):
            raise AppointmentRefused([rules.TAKEN]) from None
        raise
    return db.session.get(Appointment, appointment_id)


def cancel_appointment(appointment_id: int, user: User, now: datetime | None = None) -> Appointment:
    """An association cancels its appointment, until the slot starts; the slot is free again."""
    now = now or utcnow()
    with write_transaction():
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            raise AppointmentRefused([Reason("missing", "", "Ce rendez-vous n'existe pas.")])
        lock_permanence(appointment.permanence_id)
        appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
        if permissions.role_in(user, appointment.organisation) is None:
            raise AppointmentRefused(
                [Reason("forbidden", "", "Ce rendez-vous appartient à une autre association.")]
            )
        if appointment.status != "booked":
            raise AppointmentRefused([Reason("state", "", "Ce rendez-vous est déjà annulé.")])
        late = rules.check_cancel(appointment.start, now)
        if late:
            raise AppointmentRefused([late])
        _cancel(appointment, user, now)
    return db.session.get(Appointment, appointment_id)


def _lock_sheet_appointment(appointment_id: int, user: User) -> Appointment:
    """Load an appointment under its permanence's lock, for that permanence's social worker."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise AppointmentRefused([Reason("missing", "", "Ce rendez-vous n'existe pas.")])
    permanence = lock_permanence(appointment.permanence_id)
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    if not permissions.can_see_day_sheet(user, permanence):
        raise AppointmentRefused(
            [Reason("forbidden", "", "Réservé à la travailleuse sociale de la permanence.")]
        )
    return appointment


def mark_appointment(
    appointment_id: int, status: str, user: User, now: datetime | None = None
) -> Appointment:
    """The social worker marks an appointment seen, no-show or cancelled (or back to booked).

    Absent only once the appointment has started; cancelling tells the association.
    """
    now = now or utcnow()
    if status not in MARKS:
        raise AppointmentRefused([Reason("status", "status", "Statut inconnu.")])
    if status == "cancelled":
        cancel_from_sheet(appointment_id, user, now)
        return db.session.get(Appointment, appointment_id)
    with write_transaction():
        appointment = _lock_sheet_appointment(appointment_id, user)
        if appointment.status == "cancelled":
            raise AppointmentRefused(
                [Reason("state", "", "Ce rendez-vous est annulé : le créneau a pu être repris.")]
            )
        if status == "no_show" and not rules.can_mark_absent(appointment, now):
            raise AppointmentRefused([rules.NOT_STARTED])
        if appointment.status != status:
            appointment.status = status
            appointment.sequence += 1
            appointment.updated_at = now
    return db.session.get(Appointment, appointment_id)


def cancel_from_sheet(appointment_id: int, user: User, now: datetime | None = None) -> Outcome:
    """The social worker cancels an appointment: the slot is free, the association told by mail."""
    now = now or utcnow()
    with write_transaction():
        appointment = _lock_sheet_appointment(appointment_id, user)
        if appointment.status == "cancelled":
            raise AppointmentRefused([Reason("state", "", "Ce rendez-vous est déjà annulé.")])
        _cancel(appointment, user, now)
        permanence = appointment.permanence
    message = (
        f"La travailleuse sociale a annulé le rendez-vous de votre association "
        f"à la permanence « {permanence.title} ». Le créneau est de nouveau libre."
    )
    return _mail_associations(permanence.id, [appointment_id], message, "Rendez-vous annulé")


def restore_appointment(appointment_id: int, user: User, now: datetime | None = None) -> Outcome:
    """Undo the social worker's cancellation while the slot is free; the association is told."""
    now = now or utcnow()
    try:
        with write_transaction():
            appointment = _lock_sheet_appointment(appointment_id, user)
            permanence = appointment.permanence
            slot_free = (
                appointment.day not in _cancelled_days(permanence.id, appointment.day)
                and not _is_blocked(permanence.id, appointment.start)
                and _appointment_at(permanence.id, appointment.start) is None
            )
            refused = rules.check_restore(appointment, permanence.social_worker_id, slot_free, now)
            if refused:
                raise AppointmentRefused([refused])
            appointment.status = "booked"
            appointment.cancelled_by_id = None
            appointment.sequence += 1
            appointment.updated_at = now
            db.session.flush()
    except sa.exc.IntegrityError as error:
        if _is_unique_violation(error):
            raise AppointmentRefused([rules.TAKEN]) from None
        raise
    message = (
        f"Le rendez-vous de votre association à la permanence « {permanence.title} » "
        "est rétabli : il a lieu comme prévu."
    )
    return _mail_associations(permanence.id, [appointment_id], message, "Rendez-vous rétabli")


# What the screens show ------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotEntry:
    """A slot as one person sees it; `appointment` only when they may read it."""

    slot: rules.Slot
    state: str  # free, mine, taken, blocked, past, cancelled
    appointment: Appointment | None = None


@dataclass
class Session:
    """One date of a permanence, with its slots."""

    permanence: Permanence
    day: date
    pattern: rules.Pattern
    start: datetime
    end: datetime
    slots: list[SlotEntry]
    cancellation: PermanenceCancellation | None = None
    held: dict[int, int] = field(default_factory=dict)  # organisation id -> active appointments

    @property
    def key(self) -> str:
        return f"{self.permanence.id}-{self.day:%Y%m%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancellation is not None

    @property
    def opens_on(self) -> date:
        return rules.opens_on(self.day, self.permanence.open_days_ahead)

    @property
    def fair_share_ends(self) -> datetime:
        return rules.fair_share_ends(self.start, self.permanence.fair_share)

    def count(self, *states: str) -> int:
        return sum(1 for s in self.slots if s.state in states)

    @property
    def booked(self) -> int:
        return self.count("mine", "taken")

    @property
    def free(self) -> int:
        return self.count("free")

    def is_open(self, now: datetime) -> bool:
        return to_local(now, tz_of(self.permanence)).date() >= self.opens_on

    def fair_share_reason(self, organisation_id: int, now: datetime) -> Reason | None:
        return rules.check_fair_share(
            self.held.get(organisation_id, 0), self.start, self.permanence.fair_share, now
        )


def current_permanences(now: datetime | None = None) -> list[Permanence]:
    """Permanences with dates still to come, by title."""
    now = now or utcnow()
    yesterday = (now - timedelta(days=1)).date()
    return list(
        db.session.scalars(
            db.select(Permanence)
            .where(
                Permanence.id.in_(
                    db.select(PermanencePattern.permanence_id).where(
                        PermanencePattern.until >= yesterday
                    )
                )
            )
            .order_by(Permanence.title, Permanence.id)
        )
    )


def sessions_of(
    permanence: Permanence,
    first: date,
    last: date,
    viewer: User | None,
    now: datetime | None = None,
) -> list[Session]:
    """The dates of a permanence between two days, each slot as `viewer` may see it."""
    now = now or utcnow()
    tz = tz_of(permanence)
    patterns = permanence.rule_patterns()
    cancellations = {
        c.day: c
        for c in db.session.scalars(
            db.select(PermanenceCancellation).where(
                PermanenceCancellation.permanence_id == permanence.id,
                PermanenceCancellation.day.between(first, last),
            )
        )
    }
    appointments = {
        a.start: a
        for a in db.session.scalars(
            db.select(Appointment)
            .where(
                Appointment.permanence_id == permanence.id,
                Appointment.day.between(first, last),
                Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
            )
            .options(sa.orm.joinedload(Appointment.organisation))
        )
    }
    day_start, _ = local_day_bounds(first, tz)
    _, day_end = local_day_bounds(last, tz)
    blocked = set(
        db.session.scalars(
            db.select(BlockedSlot.start).where(
                BlockedSlot.permanence_id == permanence.id,
                BlockedSlot.start >= day_start,
                BlockedSlot.start < day_end,
            )
        )
    )
    sees_all = viewer is not None and permissions.can_see_day_sheet(viewer, permanence)
    mine = _organisation_ids(viewer)
    sessions = []
    for day, pattern in rules.session_days(patterns, first, last):
        start, end = rules.session_bounds(pattern, day, tz)
        cancellation = cancellations.get(day)
        entries = []
        held: dict[int, int] = defaultdict(int)
        for slot in rules.day_slots(pattern, day, tz):
            appointment = appointments.get(slot.start)
            if appointment is not None:
                held[appointment.organisation_id] += 1
            if cancellation is not None:
                state = "cancelled"
            elif appointment is not None:
                state = "mine" if appointment.organisation_id in mine else "taken"
            elif slot.start in blocked:
                state = "blocked"
            elif slot.start <= now:
                state = "past"
            else:
                state = "free"
            visible = appointment if (sees_all or state == "mine") else None
            entries.append(SlotEntry(slot, state, visible))
        sessions.append(
            Session(permanence, day, pattern, start, end, entries, cancellation, dict(held))
        )
    return sessions


def _organisation_ids(user: User | None) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {m.organisation_id for m in user.memberships}


def bookable_organisations(user: User) -> list[Organisation]:
    """The associations this person books permanence slots for."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [o for o in user.organisations() if permissions.can_book_slot(user, o)]


def upcoming_sessions(viewer: User | None, now: datetime | None = None) -> list[Session]:
    """Dates of every permanence from today to its opening window, plus the next one after."""
    now = now or utcnow()
    found: list[Session] = []
    for permanence in current_permanences(now):
        today = _today(permanence, now)
        last = today + timedelta(days=permanence.open_days_ahead)
        sessions = [
            s
            for s in sessions_of(permanence, today, last + timedelta(days=14), viewer, now)
            if s.end > now
        ]
        within = [s for s in sessions if s.day <= last]
        found.extend(within or sessions[:1])
    return sorted(found, key=lambda s: (s.start, s.permanence.id))


def session_on(
    permanence: Permanence, day: date, viewer: User | None, now: datetime | None = None
) -> Session | None:
    sessions = sessions_of(permanence, day, day, viewer, now)
    return sessions[0] if sessions else None


@dataclass(frozen=True)
class DaySheet:
    session: Session
    cancelled: list[Appointment]
    # slot start -> the cancelled appointment the social worker may still put back there
    restorable: dict[datetime, Appointment] = field(default_factory=dict)


def day_sheet(permanence: Permanence, day: date, now: datetime | None = None) -> DaySheet | None:
    """The social worker's sheet for one date: each slot, its appointment, the cancelled ones."""
    now = now or utcnow()
    session = session_on(permanence, day, permanence.social_worker, now)
    if session is None:
        return None
    cancelled = db.session.scalars(
        db.select(Appointment)
        .where(
            Appointment.permanence_id == permanence.id,
            Appointment.day == day,
            Appointment.status == "cancelled",
        )
        .order_by(Appointment.start, Appointment.updated_at, Appointment.id)
    ).all()
    free = {e.slot.start for e in session.slots if e.state in ("free", "past")}
    restorable = {
        a.start: a  # the latest cancellation of a slot is the one to undo
        for a in cancelled
        if rules.can_restore(a, permanence.social_worker_id, a.start in free, now)
    }
    return DaySheet(session, list(cancelled), restorable)


def week_sessions(viewer: User, first: date, now: datetime | None = None) -> list[Session]:
    """Seven days of permanences: the social worker's own, or all of them for the manager."""
    now = now or utcnow()
    query = db.select(Permanence).order_by(Permanence.title, Permanence.id)
    if not permissions.is_manager(viewer):
        query = query.where(Permanence.social_worker_id == viewer.id)
    sessions: list[Session] = []
    for permanence in db.session.scalars(query):
        sessions.extend(sessions_of(permanence, first, first + timedelta(days=6), viewer, now))
    return sorted(sessions, key=lambda s: (s.start, s.permanence.id))


def organisation_appointments(
    user: User, now: datetime | None = None, limit: int = 200
) -> list[Appointment]:
    """The appointments of this person's associations still to come, cancelled ones included."""
    now = now or utcnow()
    org_ids = list(_organisation_ids(user))
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            db.select(Appointment)
            .where(Appointment.organisation_id.in_(org_ids), Appointment.end > now)
            .options(
                sa.orm.joinedload(Appointment.permanence).joinedload(Permanence.resource),
                sa.orm.joinedload(Appointment.organisation),
                sa.orm.joinedload(Appointment.booked_by),
            )
            .order_by(Appointment.start, Appointment.id)
            .limit(limit)
        )
    )


def notices_for(user: User, now: datetime | None = None) -> list[PermanenceNotice]:
    """Notices for this person's associations about permanence dates still to come."""
    now = now or utcnow()
    org_ids = list(_organisation_ids(user))
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            db.select(PermanenceNotice)
            .where(
                PermanenceNotice.organisation_id.in_(org_ids),
                PermanenceNotice.day >= (now - timedelta(days=1)).date(),
            )
            .options(sa.orm.joinedload(PermanenceNotice.organisation))
            .order_by(PermanenceNotice.day, PermanenceNotice.id)
        )
    )


# Retention ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    appointments: int
    notices: int


def purge(retention_days: int, now: datetime | None = None) -> Purged:
    """Delete appointments (and notices) whose slot ended more than `retention_days` ago."""
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    now = now or utcnow()
    limit = now - timedelta(days=retention_days)
    with write_transaction():
        appointments = db.session.execute(
            sa.delete(Appointment).where(Appointment.end < limit)
        ).rowcount
        notices = db.session.execute(
            sa.delete(PermanenceNotice).where(PermanenceNotice.day < limit.date())
        ).rowcount
    return Purged(appointments, notices)
