"""Listen to the record; at the commit, write the grouped mails into the outbox.

Each event of a transaction is noted as it is recorded; just before that transaction
commits, `rules.plan` groups them (a series, a closure's bookings for one association) and
one outbox row is added per mail, so the mails commit with the change or vanish with it.
"""

from __future__ import annotations

import sqlalchemy.orm as so
from sqlalchemy import event as sa_event

from pole.bookings.models import Booking
from pole.db import db, in_write_transaction
from pole.events.models import Event
from pole.events.record import listen
from pole.notifications import rules
from pole.notifications.mails import write_letters

_PENDING = "pole.notifications.pending"
_TOLD = "pole.notifications.told_otherwise"


def told_otherwise(*topics: str) -> None:
    """The change being written tells its people itself (publishing a season writes one mail
    per association): this transaction writes no letter of these topics."""
    db.session().info.setdefault(_TOLD, set()).update(topics)


def _happening(event: Event) -> rules.Happening:
    after = (event.data or {}).get("after") or {}
    author_id = social_worker_id = None
    if event.booking_id is not None:
        booking = db.session.get(Booking, event.booking_id)
        author_id = booking.created_by_id if booking is not None else None
    if event.subject_type == "appointment":
        from pole.permanences.models import Appointment

        appointment = db.session.get(Appointment, event.subject_id)
        author_id = appointment.booked_by_id
        social_worker_id = appointment.permanence.social_worker_id
    return rules.Happening(
        kind=event.kind,
        actor_id=event.actor_id,
        author_id=author_id,
        organisation_id=event.organisation_id,
        status=after.get("status", ""),
        booking_id=event.booking_id,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        social_worker_id=social_worker_id,
        message=after.get("message", ""),
    )


@listen("booking.*")
@listen("closure.booking_kept")
@listen("appointment.booked")
@listen("appointment.cancelled")
def note(event: Event) -> None:
    """Keep what this transaction's mails need; they are written at its commit."""
    db.session().info.setdefault(_PENDING, []).append(_happening(event))


@sa_event.listens_for(so.Session, "before_commit")
def _write(session: so.Session) -> None:
    happenings = session.info.pop(_PENDING, None)
    told = session.info.pop(_TOLD, set())
    if happenings and in_write_transaction():
        write_letters([x for x in rules.plan(happenings) if x.topic not in told])


@sa_event.listens_for(so.Session, "after_rollback")
def _forget(session: so.Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_TOLD, None)
