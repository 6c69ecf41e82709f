"""Book a slot, cancel it, and the social worker's marks on her day sheet."""

from __future__ import annotations

from datetime import datetime

from pole import permissions
from pole.auth.models import User
from pole.core.locks import lost_race
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_appointment
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import Appointment
from pole.permanences.services.data import AppointmentData, AppointmentRefused, Outcome
from pole.permanences.services.loading import (
    appointment_at,
    cancelled_days,
    held_by,
    is_blocked,
    lock_permanence,
    mark_cancelled,
    slot_of,
    tz_of,
)
from pole.permanences.services.mail import mail_associations
from pole.sites.services import site_reasons

MARKS = ("booked", "seen", "no_show", "cancelled")


def _taken_on_race():  # noqa: ANN202 (a context manager)
    """A second appointment on one slot hits the unique index: the slot was just taken."""
    return lost_race(AppointmentRefused([rules.TAKEN]), exclusion=False, unique=True)


def book_slot(
    permanence_id: int,
    start: datetime,
    data: AppointmentData,
    user: User,
    now: datetime | None = None,
) -> Appointment:
    """Book one slot for an association, or raise AppointmentRefused with the reasons.

    Under the permanence lock: the association works in the permanence's site, the slot is
    free, the date not cancelled, the slot not blocked, the window open and the association
    within its fair share.
    """
    now = now or utcnow()
    reasons = rules.check_appointment_data(
        data.purpose, data.for_whom, data.beneficiary_ref, data.note
    )
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
    with _taken_on_race(), write_transaction(now=now):
        permanence = lock_permanence(permanence_id)
        elsewhere = site_reasons(organisation, permanence.resource, "organisation_id")
        if elsewhere:
            raise AppointmentRefused(elsewhere)
        slot = slot_of(permanence, start)
        tz = tz_of(permanence)
        closed = rules.check_slot_open(
            day_cancelled=slot.day in cancelled_days(permanence.id, slot.day),
            blocked=is_blocked(permanence.id, slot.start),
        )
        if closed:
            raise AppointmentRefused([closed])
        pattern = rules.pattern_on(permanence.rule_patterns(), slot.day)
        session_start, _ = rules.session_bounds(pattern, slot.day, tz)
        reasons = rules.check_appointment(
            slot,
            session_start,
            held=held_by(permanence.id, slot.day, organisation.id),
            taken=appointment_at(permanence.id, slot.start) is not None,
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
        record_appointment("appointment.booked", appointment, user, now)
        appointment_id = appointment.id
    return db.session.get(Appointment, appointment_id)


def cancel_appointment(appointment_id: int, user: User, now: datetime | None = None) -> Appointment:
    """An association cancels its appointment, until the slot starts; the slot is free again."""
    now = now or utcnow()
    with write_transaction(now=now):
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
        mark_cancelled(appointment, user)
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
    with write_transaction(now=now):
        appointment = _lock_sheet_appointment(appointment_id, user)
        if appointment.status == "cancelled":
            raise AppointmentRefused(
                [Reason("state", "", "Ce rendez-vous est annulé : le créneau a pu être repris.")]
            )
        if status == "no_show" and not rules.can_mark_absent(appointment, now):
            raise AppointmentRefused([rules.NOT_STARTED])
        if appointment.status != status:
            before, appointment.status = appointment.status, status
            record_appointment("appointment.marked", appointment, user, now, before)
    return db.session.get(Appointment, appointment_id)


def cancel_from_sheet(appointment_id: int, user: User, now: datetime | None = None) -> Outcome:
    """The social worker cancels an appointment: the slot is free, the association told by mail."""
    now = now or utcnow()
    with write_transaction(now=now):
        appointment = _lock_sheet_appointment(appointment_id, user)
        if appointment.status == "cancelled":
            raise AppointmentRefused([Reason("state", "", "Ce rendez-vous est déjà annulé.")])
        mark_cancelled(appointment, user)
        permanence = appointment.permanence
        message = (
            f"La travailleuse sociale a annulé le rendez-vous de votre association "
            f"à la permanence « {permanence.title} ». Le créneau est de nouveau libre."
        )
        db.session.flush()
        outcome = mail_associations(permanence.id, [appointment_id], message, "Rendez-vous annulé")
    return outcome


def restore_appointment(appointment_id: int, user: User, now: datetime | None = None) -> Outcome:
    """Undo the social worker's cancellation while the slot is free; the association is told."""
    now = now or utcnow()
    with _taken_on_race(), write_transaction(now=now):
        appointment = _lock_sheet_appointment(appointment_id, user)
        permanence = appointment.permanence
        slot_free = (
            appointment.day not in cancelled_days(permanence.id, appointment.day)
            and not is_blocked(permanence.id, appointment.start)
            and appointment_at(permanence.id, appointment.start) is None
        )
        refused = rules.check_restore(appointment, permanence.social_worker_id, slot_free, now)
        if refused:
            raise AppointmentRefused([refused])
        # The association may have been limited to other sites since it booked.
        elsewhere = site_reasons(appointment.organisation, permanence.resource, "")
        if elsewhere:
            raise AppointmentRefused(elsewhere)
        appointment.status = "booked"
        appointment.cancelled_by_id = None
        record_appointment("appointment.marked", appointment, user, now, "cancelled")
        db.session.flush()
        message = (
            f"Le rendez-vous de votre association à la permanence « {permanence.title} » "
            "est rétabli : il a lieu comme prévu."
        )
        outcome = mail_associations(permanence.id, [appointment_id], message, "Rendez-vous rétabli")
    return outcome
