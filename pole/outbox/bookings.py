"""A mail about one booking, with the .ics that updates the event in the person's calendar."""

from __future__ import annotations

import dataclasses
from email.utils import parseaddr

from flask import current_app

from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.feeds import ical
from pole.feeds.bookings import BookingRow, BookingScope, booking_event
from pole.outbox.links import mail_url


def booking_invitation(booking: Booking, to: str) -> tuple[str, str]:
    """The booking as an iTIP invitation for `to`, and its method (REQUEST, or CANCEL).

    Same UID as the booking's "Ajouter à mon agenda" file, and its current SEQUENCE: a
    calendar that has the event replaces it, or removes it when it is cancelled or refused.
    Call it after a flush, so that the change stamp has moved the SEQUENCE.
    """
    return bookings_invitation([booking], to)


def bookings_invitation(bookings: list[Booking], to: str) -> tuple[str, str]:
    """Bookings of one organisation (a series, a closure's) as one invitation for `to`.

    The method is the first booking's: REQUEST while it stands, CANCEL once it does not.
    """
    return rows_invitation([BookingRow.of(b) for b in bookings], to)


def invitation_method(status: str) -> str:
    """An invitation's method for a booking of this status."""
    return "REQUEST" if status in ACTIVE_STATUSES else "CANCEL"


def rows_invitation(rows: list[BookingRow], to: str) -> tuple[str, str]:
    """`bookings_invitation` of the bookings as they were (frozen rows), for a mail rendered
    after the change."""
    method = invitation_method(rows[0].status)
    # The mail goes to people of the booking's organisation: they may read its details.
    scope = BookingScope((), (), frozenset(r.organisation_id for r in rows), True, True)
    organizer = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]

    def link(booking_id: int) -> str:
        return mail_url("bookings.show", booking_id=booking_id)

    events = tuple(
        dataclasses.replace(
            booking_event(row, scope, "event", link), organizer=organizer, attendees=(to,)
        )
        for row in rows
    )
    calendar = ical.Calendar(name=events[0].summary, events=events, method=method)
    return ical.to_ics(calendar).decode("utf-8"), method
