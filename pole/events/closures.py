"""A closure over bookings already made: the manager cancels them with a message, or keeps
them; either way each association concerned is told (one event per booking, a notice)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.bookings.services import BookingRefused
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.models import Event
from pole.events.states import booking_state, record_booking
from pole.resources.models import Closure
from pole.resources.services import bookings_during

MESSAGE_MAX = 300


def kept_booking_ids(closure_ids: Iterable[int]) -> set[int]:
    """Bookings the manager chose to keep despite one of these closures."""
    closure_ids = list(closure_ids)
    if not closure_ids:
        return set()
    return set(
        db.session.scalars(
            db.select(Event.booking_id).where(
                Event.kind == "closure.booking_kept",
                Event.subject_type == "closure",
                Event.subject_id.in_(closure_ids),
            )
        )
    )


def undecided(closure: Closure, kept: set[int]) -> list[Booking]:
    """The active bookings a closure hits that the manager has not decided on yet."""
    return [b for b in bookings_during(closure) if b.id not in kept]


def settle_closure(
    closure_id: int, manager: User, cancel: bool, message: str, now: datetime | None = None
) -> int:
    """Cancel (or keep) every undecided booking the closure hits, all in one transaction.

    Each booking gets its event, for its association's notices; returns how many.
    """
    now = now or utcnow()
    message = message.strip()
    if not permissions.can_manage_closures(manager):
        raise BookingRefused([Reason("forbidden", "", "Réservé à la gestion du bâtiment.")])
    if len(message) > MESSAGE_MAX:
        raise BookingRefused([Reason("length", "message", f"{MESSAGE_MAX} caractères au plus.")])
    with write_transaction(now=now):
        closure = db.session.get(Closure, closure_id)
        if closure is None:
            raise BookingRefused([Reason("missing", "", "Cette fermeture n'existe plus.")])
        hit = [b.id for b in undecided(closure, kept_booking_ids([closure.id]))]
        locked = db.select(Booking).where(Booking.id.in_(hit)).order_by(Booking.id)
        locked = locked.with_for_update().execution_options(populate_existing=True)
        bookings = list(db.session.scalars(locked))
        # Read again under the locks: another answer or a change may have come meanwhile.
        kept = kept_booking_ids([closure.id])
        done = 0
        for booking in bookings:
            if not booking.is_active or not closure.meets(booking) or booking.id in kept:
                continue
            done += 1
            if cancel:
                before = booking_state(booking)
                booking.status = "cancelled"
                record_booking("booking.cancelled", booking, manager, now, before, message,
                               closure=closure.id)  # fmt: skip
            else:
                record_booking("closure.booking_kept", booking, manager, now, None, message,
                               closure=closure.id)  # fmt: skip
        return done


def settled_text(count: int, cancelled: bool) -> str:
    """What the manager reads once the bookings a closure hits are settled."""
    if not count:
        return "Aucune réservation n'était plus concernée."
    plural = "s" if count > 1 else ""
    done = "annulée" if cancelled else "maintenue"
    return (
        f"{count} réservation{plural} {done}{plural}. Les associations concernées sont prévenues."
    )
