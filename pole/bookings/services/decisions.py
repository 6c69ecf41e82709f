"""The manager's decisions on bookings that wait for approval, and the mail they send."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.bookings.services.checks import BookingRefused
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_decision
from pole.mail import send_mail
from pole.timeutil import to_local


def pending_bookings() -> list[Booking]:
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(Booking.status == "pending")
            .options(sa.orm.joinedload(Booking.resource), sa.orm.joinedload(Booking.organisation))
            .order_by(Booking.start)
        )
    )


def _decide(booking_id: int, manager: User, status: str, note: str, now: datetime) -> Booking:
    with write_transaction(now=now):
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_approve_bookings(manager):
            raise BookingRefused([Reason("forbidden", "", "Réservé à la gestion du bâtiment.")])
        if booking.status != "pending":
            raise BookingRefused([Reason("state", "", "Cette demande a déjà été traitée.")])
        booking.status = status
        booking.decided_by_id = manager.id
        booking.decision_note = note
        record_decision(booking, manager, now)
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
