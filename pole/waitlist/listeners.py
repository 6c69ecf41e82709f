"""Hooks on the record: a freed time tells who waits for it; a booking made ends her wish."""

from __future__ import annotations

from datetime import datetime

from pole.bookings.models import Booking
from pole.db import db
from pole.events.models import Event
from pole.events.record import listen
from pole.waitlist import services


@listen("booking.cancelled")
@listen("booking.refused")
@listen("booking.moved")
def tell_who_waits(event: Event) -> None:
    """The booking no longer holds its former time: the first person waiting for it is told."""
    before = event.before
    if not before.get("start") or event.resource_id is None:
        return
    if before.get("status") not in (None, "pending", "confirmed"):
        return  # it held nothing
    start, end = datetime.fromisoformat(before["start"]), datetime.fromisoformat(before["end"])
    services.freed(event.resource_id, start, end, event.at)


@listen("booking.created")
def end_her_wish(event: Event) -> None:
    """She booked (what she waited for, perhaps): her wishes that booking covers end."""
    booking = db.session.get(Booking, event.booking_id) if event.booking_id else None
    if booking is not None:
        services.booked(booking, event.at)
