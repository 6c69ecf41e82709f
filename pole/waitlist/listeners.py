"""Hooks on the record: a freed time tells who waits for it; a booking made ends her wish.

The events of a transaction are noted as they are recorded and acted on just before it
commits (like the mails of pole.notifications): once every change of the transaction is
made (a whole series cut, say), in the same transaction, so a rollback undoes it all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so
from sqlalchemy import event as sa_event

from pole.bookings.models import Booking
from pole.db import db, in_write_transaction
from pole.events.models import Event
from pole.events.record import listen
from pole.waitlist import services

_PENDING = "pole.waitlist.pending"


def _note(*what: object) -> None:
    db.session().info.setdefault(_PENDING, []).append(what)


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
    _note("freed", event.resource_id, start, end, event.at)


@listen("booking.created")
def end_her_wish(event: Event) -> None:
    """She booked (what she waited for, perhaps): her wishes that booking covers end."""
    if event.booking_id is not None:
        _note("booked", event.booking_id, event.at)


@sa_event.listens_for(so.Session, "before_commit")
def _act(session: so.Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not in_write_transaction():
        return
    for what, *args in pending:
        if what == "booked":
            booking_id, at = args
            booking = db.session.get(Booking, booking_id)
            if booking is not None:
                services.booked(booking, at)
        else:
            services.freed(*args)


@sa_event.listens_for(so.Session, "after_rollback")
def _forget(session: so.Session) -> None:
    session.info.pop(_PENDING, None)
