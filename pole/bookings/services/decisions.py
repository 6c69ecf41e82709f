"""The manager's decisions on bookings that wait for approval, and the mail they send."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.bookings.services.checks import BookingRefused
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_decision
from pole.formatting import format_hhmm, format_numeric_date
from pole.notifications import tell
from pole.outbox.bookings import booking_invitation
from pole.outbox.links import mail_url
from pole.quotas import services as quotas
from pole.resources.models import Resource
from pole.sites.services import site_reasons
from pole.timeutil import to_local


def _in_sites(site_ids: frozenset[int]) -> sa.ColumnElement[bool]:
    """Bookings of those sites' resources; no sites means every site."""
    if not site_ids:
        return sa.true()
    return Booking.resource_id.in_(sa.select(Resource.id).where(Resource.site_id.in_(site_ids)))


def pending_bookings(site_ids: frozenset[int] = frozenset()) -> list[Booking]:
    """Requests waiting for a decision, in the given sites (every site when none are given)."""
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(Booking.status == "pending", _in_sites(site_ids))
            .options(sa.orm.joinedload(Booking.resource), sa.orm.joinedload(Booking.organisation))
            .order_by(Booking.start)
        )
    )


def pending_count(site_ids: frozenset[int] = frozenset()) -> int:
    """How many booking requests wait for a manager's decision (in those sites, or all)."""
    return db.session.scalar(
        db.select(db.func.count(Booking.id)).where(Booking.status == "pending", _in_sites(site_ids))
    )


def _decide(
    booking_id: int, manager: User, status: str, note: str, now: datetime, quota_note: str = ""
) -> Booking:
    with write_transaction(now=now):
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if not permissions.can_approve_booking(manager, booking):
            raise BookingRefused([Reason("forbidden", "", "Réservé à la gestion du bâtiment.")])
        if booking.status != "pending":
            raise BookingRefused([Reason("state", "", "Cette demande a déjà été traitée.")])
        if status == "confirmed":
            # The organisation may have been limited to other sites since it asked.
            elsewhere = site_reasons(booking.organisation, booking.resource)
            if elsewhere:
                raise BookingRefused(elsewhere)
            # A quota set or lowered since the request was made is checked again.
            kept = quotas.enforce(
                booking.organisation,
                booking.resource,
                [(booking.start, booking.end)],
                manager,
                quota_note,
                now,
                exclude=[booking.id],
            )
            booking.quota_override_note = kept or booking.quota_override_note
        booking.status = status
        booking.decided_by_id = manager.id
        booking.decision_note = note
        db.session.flush()  # the change stamp moves the SEQUENCE the invitation carries
        _notify_decision(booking)
        record_decision(booking, manager, now)
    return db.session.get(Booking, booking_id)


def approve_booking(
    booking_id: int, manager: User, now: datetime | None = None, quota_note: str = ""
) -> Booking:
    """Confirm a pending booking and tell the person who asked; beyond a quota, say why."""
    return _decide(booking_id, manager, "confirmed", "", now or utcnow(), quota_note)


def reject_booking(
    booking_id: int, manager: User, note: str, now: datetime | None = None
) -> Booking:
    """Refuse a pending booking, with a reason sent to the person who asked."""
    return _decide(booking_id, manager, "rejected", note.strip(), now or utcnow())


def _notify_decision(booking: Booking) -> None:
    """Queue the decision's mail to the person who asked, in the decision's transaction."""
    if booking.created_by is None:
        return
    tz = booking.resource.site.tz
    start, end = to_local(booking.start, tz), to_local(booking.end, tz)
    when = f"{format_numeric_date(start)} de {format_hhmm(start)} à {format_hhmm(end)}"
    link = mail_url("bookings.show", booking_id=booking.id)
    if booking.status == "confirmed":
        subject = f"Réservation confirmée : {booking.resource.name}"
        body = (
            f"Votre réservation « {booking.title} » ({booking.resource.name}, le {when}) "
            f"pour {booking.organisation.name} est confirmée.\n\n{link}\n"
        )
    else:
        subject = f"Réservation refusée : {booking.resource.name}"
        body = (
            f"Votre demande « {booking.title} » ({booking.resource.name}, le {when}) "
            f"pour {booking.organisation.name} n'a pas pu être acceptée.\n\n"
            f"Motif : {booking.decision_note or 'non précisé'}\n\n{link}\n"
        )
    # The decision is news of the booking she made: it comes as she chose for those mails.
    ics, method = booking_invitation(booking, booking.created_by.email)
    tell(booking.created_by, "made", subject, body, ics=ics, ics_method=method)
