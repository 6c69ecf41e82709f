"""The waiting list's database work: ask, withdraw, tell the first person a freed time suits,
and move on to the next one when she does not book in time (a worker job)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from pole import permissions
from pole.auth.models import User
from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.core.refusals import Reason, Refused
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.organisations.models import Organisation
from pole.resources.models import Resource
from pole.sites.services import site_reasons
from pole.waitlist import mails, rules
from pole.waitlist.models import Wish


class WishRefused(Refused):
    """The wish cannot be written; `reasons` say why."""


def answer_delay() -> timedelta:
    minutes = current_app.config.get("POLE_WAITLIST_ANSWER_MINUTES")
    return timedelta(minutes=minutes) if minutes is not None else rules.ANSWER_DELAY


def _open() -> sa.ColumnElement[bool]:
    return Wish.ended_at.is_(None)


def ask(
    user: User,
    resource_id: int,
    organisation_id: int,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    now: datetime | None = None,
) -> Wish:
    """Write a wish to be told when this resource frees up at this time (for this association)."""
    now = now or utcnow()
    with write_transaction(now=now):
        resource = db.session.get(Resource, resource_id)
        organisation = db.session.get(Organisation, organisation_id)
        if resource is None or organisation is None or not resource.is_active:
            raise WishRefused([Reason("missing", "", "Cette salle ou ce matériel n'existe pas.")])
        elsewhere = site_reasons(organisation, resource, "")
        if elsewhere:
            raise WishRefused(elsewhere)  # said plainly: the organisation works elsewhere
        if not permissions.can_book_resource(user, organisation, resource):
            message = "Vous ne pouvez pas réserver ceci pour cette organisation."
            raise WishRefused([Reason("forbidden", "", message)])
        open_count = db.session.scalar(
            sa.select(sa.func.count(Wish.id)).where(Wish.user_id == user.id, _open())
        )
        reasons = rules.check_wish(start, end, open_count or 0, now)
        if reasons:
            raise WishRefused(reasons)
        same = db.session.scalar(
            sa.select(Wish).where(
                Wish.user_id == user.id,
                Wish.resource_id == resource.id,
                Wish.start == start,
                Wish.end == end,
                _open(),
            )
        )
        if same is not None:
            return same  # asked twice (a double tap): one wish
        wish = Wish(
            user_id=user.id,
            organisation_id=organisation.id,
            resource_id=resource.id,
            start=start,
            end=end,
            quantity=max(quantity, 1),
            created_at=now,
        )
        db.session.add(wish)
    return wish


def wish_of(wish_id: int, user: User) -> Wish | None:
    """The person's own wish, or None (someone else's is not hers to see)."""
    wish = db.session.get(Wish, wish_id)
    return wish if wish is not None and wish.user_id == user.id else None


def open_wishes(user: User, now: datetime) -> list[Wish]:
    """The person's wishes still waiting (or told and not answered yet), soonest first."""
    query = (
        sa.select(Wish)
        .where(Wish.user_id == user.id, _open(), Wish.end > now)
        .options(sa.orm.joinedload(Wish.resource), sa.orm.joinedload(Wish.organisation))
        .order_by(Wish.start, Wish.id)
    )
    return list(db.session.scalars(query))


def _end(wish_id: int, reason: str, now: datetime) -> bool:
    """Close an open wish; False when it was closed meanwhile (by another worker or request)."""
    done = db.session.execute(
        sa.update(Wish)
        .where(Wish.id == wish_id, _open())
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def withdraw(wish_id: int, user: User, now: datetime | None = None) -> None:
    """She no longer waits; if she had been told, the next person waiting is told."""
    now = now or utcnow()
    with write_transaction(now=now):
        wish = wish_of(wish_id, user)
        if wish is None:
            raise WishRefused([Reason("missing", "", "Cette demande d'attente n'existe pas.")])
        resource = bookings.lock_resource(wish.resource_id)
        was_told = wish.told_at is not None
        if _end(wish.id, "withdrawn", now) and was_told:
            tell_first_free(resource, wish.start, wish.end, now)


def _can_book(wish: Wish, resource: Resource, now: datetime) -> bool:
    reasons = bookings.check(
        resource, wish.organisation, wish.user, wish.start, wish.end, wish.quantity, now
    )
    # An organisation limited to other sites since it asked is not offered the time.
    return not reasons and not site_reasons(wish.organisation, resource)


def tell_first_free(resource: Resource, start: datetime, end: datetime, now: datetime) -> int:
    """Time [start, end) of `resource` has freed up: tell, in the order they asked, the people
    waiting for a time it touches that they can now book; never two for overlapping times.

    Runs in the change's transaction, under the resource's lock; how many were told.
    """
    margin = timedelta(minutes=resource.buffer_minutes)
    query = (
        sa.select(Wish)
        .where(
            Wish.resource_id == resource.id,
            _open(),
            Wish.end > now,
            Wish.start < end + margin,
            Wish.end > start - margin,
        )
        .order_by(Wish.created_at, Wish.id)
        .execution_options(populate_existing=True)
    )
    wishes = list(db.session.scalars(query))
    held = [w for w in wishes if w.told_at is not None]
    told = 0
    for wish in wishes:
        if wish.told_at is not None:
            continue
        if any(rules.meets(wish.start, wish.end, h.start, h.end) for h in held):
            continue  # someone before her has been told of this time and may still book it
        if not wish.user.is_active or not _can_book(wish, resource, now):
            continue
        wish.told_at = now
        wish.answer_by = rules.answer_by(now, answer_delay())
        held.append(wish)
        told += 1
        record(
            "waitlist.told",
            actor=None,
            now=now,
            organisation=wish.organisation_id,
            resource=resource.id,
            after={
                "start": wish.start.isoformat(),
                "end": wish.end.isoformat(),
                "answer_by": wish.answer_by.isoformat(),
            },
            user=wish.user_id,
        )
        mails.tell(wish)
    return told


def freed(resource_id: int, start: datetime, end: datetime, now: datetime) -> int:
    """A booking left [start, end) of this resource (cancelled, refused, moved away)."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        return 0
    return tell_first_free(resource, start, end, now)


# Prepared once: every booking made runs it under the write lock. Without autoflush: it
# reads no row the transaction has left unflushed (the booking is flushed when recorded),
# and the rest is flushed once, at the commit.
_BOOKED = (
    sa.update(Wish)
    .where(
        Wish.user_id == sa.bindparam("b_user"),
        Wish.resource_id == sa.bindparam("b_resource"),
        _open(),
        Wish.start < sa.bindparam("b_end"),
        Wish.end > sa.bindparam("b_start"),
    )
    .values(ended_at=sa.bindparam("b_now"), end_reason="booked")
    .execution_options(synchronize_session=False, autoflush=False)
)


def booked(booking: Booking, now: datetime) -> int:
    """Her booking covers what she waited for: those wishes end, answered."""
    if booking.created_by_id is None:
        return 0
    params = {
        "b_user": booking.created_by_id,
        "b_resource": booking.resource_id,
        "b_start": booking.start,
        "b_end": booking.end,
        "b_now": now,
    }
    return db.session.execute(_BOOKED, params).rowcount


def advance(now: datetime | None = None) -> int:
    """The worker's job: end the wishes whose time has passed, and when a person told has not
    booked in time, tell the next one. Safe with several workers: each wish is claimed by a
    conditional UPDATE, under its resource's lock; how many wishes it closed."""
    now = now or utcnow()
    with write_transaction(now=now):
        passed = db.session.execute(
            sa.update(Wish)
            .where(_open(), Wish.end <= now)
            .values(ended_at=now, end_reason="passed")
            .execution_options(synchronize_session=False)
        ).rowcount
    due = db.session.execute(
        sa.select(Wish.id, Wish.resource_id)
        .where(_open(), Wish.answer_by <= now)
        .order_by(Wish.answer_by, Wish.id)
    ).all()
    db.session.rollback()
    lapsed = 0
    for wish_id, resource_id in due:
        with write_transaction(now=now):
            resource = bookings.lock_resource(resource_id)  # the resource first, as bookings do
            if not _end(wish_id, "lapsed", now):
                continue  # another worker took it, or she booked or withdrew meanwhile
            lapsed += 1
            wish = db.session.get(Wish, wish_id, populate_existing=True)
            tell_first_free(resource, wish.start, wish.end, now)
    return passed + lapsed
