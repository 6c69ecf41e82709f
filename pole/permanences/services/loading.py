"""Load and lock permanence rows, and the small queries every write shares."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.core.locks import lock_row
from pole.core.refusals import Reason
from pole.db import change_time, db
from pole.events.states import record_appointment
from pole.permanences import rules
from pole.permanences.models import Appointment, BlockedSlot, Permanence, PermanenceCancellation
from pole.permanences.services.data import AppointmentRefused, PermanenceRefused
from pole.timeutil import to_local

# Loading --------------------------------------------------------------------------------------


def lock_permanence(permanence_id: int) -> Permanence:
    """Load the permanence, holding its row lock until commit on PostgreSQL."""
    return lock_row(Permanence, permanence_id, _missing())


def get_permanence(permanence_id: int) -> Permanence:
    permanence = db.session.get(Permanence, permanence_id)
    if permanence is None:
        raise _missing()
    return permanence


def _missing() -> PermanenceRefused:
    return PermanenceRefused.because("Cette permanence n'existe pas.", code="missing")


def tz_of(permanence: Permanence):  # noqa: ANN201 (a ZoneInfo)
    return permanence.resource.site.tz


def today_at(permanence: Permanence, now: datetime) -> date:
    return to_local(now, tz_of(permanence)).date()


def cancelled_days(permanence_id: int, since: date | None = None) -> set[date]:
    query = db.select(PermanenceCancellation.day).where(
        PermanenceCancellation.permanence_id == permanence_id
    )
    if since is not None:
        query = query.where(PermanenceCancellation.day >= since)
    return set(db.session.scalars(query))


def require_manager_of(user: User, permanence: Permanence) -> None:
    if not permissions.can_manage_permanence(user, permanence):
        raise PermanenceRefused.because(
            "Seule la travailleuse sociale de cette permanence peut la modifier."
        )


def slot_of(permanence: Permanence, start: datetime) -> rules.Slot:
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


def is_blocked(permanence_id: int, start: datetime) -> bool:
    return (
        db.session.scalar(
            db.select(BlockedSlot.id).where(
                BlockedSlot.permanence_id == permanence_id, BlockedSlot.start == start
            )
        )
        is not None
    )


def appointment_at(permanence_id: int, start: datetime) -> Appointment | None:
    return db.session.scalar(
        db.select(Appointment).where(
            Appointment.permanence_id == permanence_id,
            Appointment.start == start,
            Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def active_appointments(
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


def held_by(permanence_id: int, day: date, organisation_id: int) -> int:
    return db.session.scalar(
        db.select(sa.func.count(Appointment.id)).where(
            Appointment.permanence_id == permanence_id,
            Appointment.day == day,
            Appointment.organisation_id == organisation_id,
            Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def mark_cancelled(appointment: Appointment, user: User | None) -> None:
    """Cancel an appointment (its iCal change stamp follows at flush); the slot is free again."""
    before = appointment.status
    appointment.status = "cancelled"
    appointment.cancelled_by_id = user.id if user is not None else None
    record_appointment("appointment.cancelled", appointment, user, change_time(), before)
