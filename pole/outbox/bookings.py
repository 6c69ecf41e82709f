"""A mail about one booking, with the .ics that updates the event in the person's calendar."""

from __future__ import annotations

import dataclasses
from email.utils import parseaddr

from flask import current_app

from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.feeds import ical
from pole.feeds.bookings import BookingRow, BookingScope, booking_event, booking_link
from pole.outbox.models import OutgoingMail
from pole.outbox.queue import queue_mail


def booking_invitation(booking: Booking, to: str) -> tuple[str, str]:
    """The booking as an iTIP invitation for `to`, and its method (REQUEST, or CANCEL).

    Same UID as the booking's "Ajouter à mon agenda" file, and its current SEQUENCE: a
    calendar that has the event replaces it, or removes it when it is cancelled or refused.
    Call it after a flush, so that the change stamp has moved the SEQUENCE.
    """
    method = "REQUEST" if booking.status in ACTIVE_STATUSES else "CANCEL"
    # The mail goes to people of the booking's organisation: they may read its details.
    scope = BookingScope((), (), frozenset([booking.organisation_id]), True, True)
    event = booking_event(BookingRow.of(booking), scope, "event", booking_link())
    organizer = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    event = dataclasses.replace(event, organizer=organizer, attendees=(to,))
    calendar = ical.Calendar(name=event.summary, events=(event,), method=method)
    return ical.to_ics(calendar).decode("utf-8"), method


def queue_booking_mail(
    booking: Booking, to: str, subject: str, text: str, *, kind: str
) -> OutgoingMail:
    """Queue a mail about `booking` to `to`, its invitation attached (see booking_invitation)."""
    ics, method = booking_invitation(booking, to)
    return queue_mail(to, subject, text, kind=kind, ics=ics, ics_method=method)
