"""Call one date of a permanence off, and keep single slots out of bookings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings import services as bookings
from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_permanence
from pole.formatting import format_day
from pole.permanences import rules
from pole.permanences.models import BlockedSlot, Permanence, PermanenceCancellation
from pole.permanences.services.data import Outcome, PermanenceRefused
from pole.permanences.services.loading import (
    active_appointments,
    appointment_at,
    cancelled_days,
    get_permanence,
    is_blocked,
    lock_permanence,
    mark_cancelled,
    require_manager_of,
    slot_of,
    tz_of,
)
from pole.permanences.services.mail import mail_associations
from pole.timeutil import local_day_bounds

# Cancelling a date ----------------------------------------------------------------------------


def cancel_date(
    permanence_id: int, day: date, user: User, reason: str = "", now: datetime | None = None
) -> Outcome:
    """Call one date off: its slots are cancelled, the room released, associations told.

    All in one transaction: the appointments and the room booking are cancelled together,
    or neither is.
    """
    now = now or utcnow()
    reason = reason.strip()
    permanence = get_permanence(permanence_id)
    require_manager_of(user, permanence)
    room_booking = _room_booking_on(permanence, day)
    if room_booking is not None and not permissions.can_change_booking(user, room_booking):
        raise _cannot_release()
    why = f" ({reason})" if reason else ""
    message = (
        f"La permanence « {permanence.title} » du {format_day(day)} est annulée{why}. "
        "Votre rendez-vous de ce jour-là est annulé : vous pouvez en réserver un autre."
    )
    with write_transaction(now=now):
        # The room first, then the permanence: the order a pattern change takes them in.
        bookings.lock_resource(permanence.resource_id)
        permanence = lock_permanence(permanence_id)
        tz = tz_of(permanence)
        pattern = rules.pattern_on(permanence.rule_patterns(), day)
        if pattern is None or not pattern.holds_on(day):
            raise PermanenceRefused.because(
                "La permanence n'a pas lieu ce jour-là.", code="no_session"
            )
        _, session_end = rules.session_bounds(pattern, day, tz)
        late = rules.check_call_off(day in cancelled_days(permanence.id, day), session_end, now)
        if late:
            raise PermanenceRefused([late])
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
        for appointment in active_appointments(permanence.id, since=day, until=day):
            if appointment.status == "booked":
                mark_cancelled(appointment, user)
                dropped.append(appointment)
        record_permanence(
            "permanence.date_cancelled", permanence, user, now, day=day.isoformat(), message=reason
        )
        # Read again under the lock: a booking the manager released meanwhile is left alone.
        room_booking = _room_booking_on(permanence, day)
        if room_booking is not None:
            try:
                bookings.cancel_booking(room_booking.id, user, scope="one", now=now)
            except bookings.BookingRefused:
                raise _cannot_release() from None
        db.session.flush()
        outcome = mail_associations(
            permanence_id, [a.id for a in dropped], message, "Permanence annulée"
        )
    return outcome


def _cannot_release() -> PermanenceRefused:
    return PermanenceRefused.because(
        "Vous ne pouvez pas libérer la salle de cette permanence : "
        "demandez-le à la gestion du bâtiment.",
        code="forbidden",
    )


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


# Blocking slots -------------------------------------------------------------------------------


def block_slot(permanence_id: int, start: datetime, user: User) -> None:
    """Keep one slot out of bookings; a slot with an appointment must be freed first."""
    with write_transaction():
        permanence = lock_permanence(permanence_id)
        require_manager_of(user, permanence)
        slot = slot_of(permanence, start)
        if appointment_at(permanence.id, slot.start) is not None:
            raise PermanenceRefused.because(
                "Ce créneau a un rendez-vous : annulez-le d'abord depuis la feuille du jour."
            )
        if is_blocked(permanence.id, slot.start):
            return
        db.session.add(
            BlockedSlot(permanence_id=permanence.id, start=slot.start, created_by_id=user.id)
        )


def unblock_slot(permanence_id: int, start: datetime, user: User) -> None:
    """Open a blocked slot to bookings again."""
    with write_transaction():
        permanence = lock_permanence(permanence_id)
        require_manager_of(user, permanence)
        db.session.execute(
            sa.delete(BlockedSlot).where(
                BlockedSlot.permanence_id == permanence.id, BlockedSlot.start == start
            )
        )
