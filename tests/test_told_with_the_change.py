"""Issue 11, "what it must show": each change of the "who is told what" table writes its event
and its mail in its own transaction, and a commit that fails leaves neither (nor the change).
The commit is made to fail after the letters were written (a before_commit hook that runs
after the notifications' own), so the rollback is tested where it could go wrong. Both
databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event as sa_event

from pole.bookings import services as bookings
from pole.db import db, in_write_transaction
from pole.events import closures
from pole.events.models import Event
from pole.notices import services as notices
from pole.outbox.models import OutgoingMail
from pole.permanences import services as permanences
from pole.waitlist import services as waitlist
from tests.factories import database_snapshot
from tests.test_events import MONDAY, at, book, closure_over_monday, fresh_world
from tests.test_permanences import NOW, THURSDAY


@dataclass(frozen=True)
class Change:
    """A change of the table: its setup (committed), the change, what it records and mails."""

    setup: Callable[[object], object]
    change: Callable[[object, object], object]
    event: str
    mail: str  # the outbox row's kind
    to: Callable[[object], str]  # who gets it (an e-mail address)


def _pending(world):  # noqa: ANN001, ANN202
    world.room.requires_approval = True
    db.session.commit()
    return book(world)


def _settle(cancel: bool) -> Callable:
    def change(world, closure) -> None:  # noqa: ANN001
        closures.settle_closure(closure.id, world.manager, cancel, "Fuite d'eau", NOW)

    return change


def _closure(world):  # noqa: ANN001, ANN202
    book(world)
    return closure_over_monday(world)


def _lose_the_afternoon(world, _) -> None:  # noqa: ANN001
    data = permanences.PatternData(
        weekdays=frozenset({THURSDAY.weekday()}), start_time=time(9), end_time=time(12),
        slot_minutes=30, first_day=THURSDAY, until=THURSDAY + timedelta(weeks=6),
        pause_start=None, pause_end=None,
    )  # fmt: skip
    permanences.change_pattern(world.permanence.id, data, world.social_worker, now=NOW)


def _someone_waits(world):  # noqa: ANN001, ANN202
    taken = book(world, user=world.bob)
    waitlist.ask(world.chloe, world.room.id, world.epicerie.id, at(MONDAY, 10), at(MONDAY, 12),
                 now=NOW)  # fmt: skip
    return taken


def _notice(world, _) -> None:  # noqa: ANN001
    until = notices.today(NOW) + timedelta(days=3)
    data = notices.NoticeData("Collecte", "Samedi au hall.", until, True, frozenset())
    notices.post(data, world.manager, now=NOW)


def _appointment(world):  # noqa: ANN001, ANN202
    return world.book(world.alice, world.restos, world.at(14))


TABLE = {
    "booking-made": Change(
        lambda w: None, lambda w, _: book(w), "booking.created", "notify_made",
        lambda w: w.alice.email),
    "request-waits": Change(
        lambda w: setattr(w.room, "requires_approval", True) or db.session.commit(),
        lambda w, _: book(w), "booking.created", "notify_waiting", lambda w: w.manager.email),
    "moved-by-someone-else": Change(
        lambda w: book(w),
        lambda w, b: bookings.edit_booking(
            b.id, bookings.BookingChanges(at(MONDAY, 14), at(MONDAY, 16)), w.bob, now=NOW),
        "booking.moved", "notify_changed", lambda w: w.alice.email),
    "edited-by-someone-else": Change(
        lambda w: book(w),
        lambda w, b: bookings.edit_booking(
            b.id, bookings.BookingChanges(title="Distribution de Noël"), w.bob, now=NOW),
        "booking.edited", "notify_changed", lambda w: w.alice.email),
    "cancelled-by-someone-else": Change(
        lambda w: book(w), lambda w, b: bookings.cancel_booking(b.id, w.bob, now=NOW),
        "booking.cancelled", "notify_changed", lambda w: w.alice.email),
    "moved-request-waits-again": Change(
        _pending,
        lambda w, b: bookings.edit_booking(
            b.id, bookings.BookingChanges(at(MONDAY, 14), at(MONDAY, 16)), w.alice, now=NOW),
        "booking.moved", "notify_waiting", lambda w: w.manager.email),
    "request-approved": Change(
        _pending, lambda w, b: bookings.approve_booking(b.id, w.manager, now=NOW),
        "booking.approved", "notify_made", lambda w: w.alice.email),
    "request-refused": Change(
        _pending, lambda w, b: bookings.reject_booking(b.id, w.manager, "Pris", now=NOW),
        "booking.refused", "notify_made", lambda w: w.alice.email),
    "closure-cancels": Change(
        _closure, _settle(True), "booking.cancelled", "notify_closure", lambda w: w.alice.email),
    "closure-keeps": Change(
        _closure, _settle(False), "closure.booking_kept", "notify_closure",
        lambda w: w.alice.email),
    "appointment-booked": Change(
        lambda w: None, lambda w, _: _appointment(w), "appointment.booked",
        "notify_appointment", lambda w: w.social_worker.email),
    "appointment-cancelled": Change(
        _appointment, lambda w, a: permanences.cancel_appointment(a.id, w.bob, NOW),
        "appointment.cancelled", "notify_appointment", lambda w: w.social_worker.email),
    "permanence-date-cancelled": Change(
        _appointment,
        lambda w, _: permanences.cancel_date(w.permanence.id, THURSDAY, w.social_worker, now=NOW),
        "permanence.date_cancelled", "notify_appointment", lambda w: w.alice.email),
    "permanence-hours-changed": Change(
        _appointment, _lose_the_afternoon, "permanence.changed", "notify_appointment",
        lambda w: w.alice.email),
    "freed-time-someone-waited-for": Change(
        _someone_waits, lambda w, b: bookings.cancel_booking(b.id, w.bob, now=NOW),
        "booking.cancelled", "notify_waitlist", lambda w: w.chloe.email),
    "notice-posted": Change(
        lambda w: None, _notice, "notice.posted", "notify_notice", lambda w: w.alice.email),
}  # fmt: skip


class CommitFails(Exception):
    pass


@dataclass
class FailingCommit:
    armed: bool = False
    mails_before: int = 0  # the last mail's id before the change
    mails_written: bool = False  # whether the failing commit held the change's mails


@pytest.fixture()
def failing_commit() -> Iterator[FailingCommit]:
    """Armed, the change's commit fails, after the hooks that wrote the letters."""
    state = FailingCommit()

    def fail(session: so.Session) -> None:
        # The change's own commit, not the one that ends a read before it begins.
        if state.armed and in_write_transaction():
            session.flush()
            written = sa.select(sa.func.count()).where(OutgoingMail.id > state.mails_before)
            state.mails_written |= bool(session.scalar(written))
            raise CommitFails("the database went away at the commit")

    sa_event.listen(so.Session, "before_commit", fail)
    yield state
    sa_event.remove(so.Session, "before_commit", fail)


def since(model, last_id: int) -> list:  # noqa: ANN001
    db.session.rollback()
    return list(db.session.scalars(sa.select(model).where(model.id > last_id)))


def last_id(model) -> int:  # noqa: ANN001
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.max(model.id))) or 0


@pytest.mark.parametrize("name", list(TABLE))
def test_each_change_writes_its_event_and_mail_with_it_and_a_failed_commit_neither(
    app, failing_commit, name
):
    case = TABLE[name]
    world = fresh_world(OutgoingMail, Event)
    subject = case.setup(world)
    before = database_snapshot()
    events_before, mails_before = last_id(Event), last_id(OutgoingMail)

    failing_commit.armed, failing_commit.mails_before = True, mails_before
    with pytest.raises(CommitFails):
        case.change(world, subject)
    failing_commit.armed = False
    assert failing_commit.mails_written  # the commit failed with the mails in it
    db.session.rollback()
    assert database_snapshot() == before  # neither the change, nor its event, nor its mail

    case.change(world, subject)
    assert case.event in [e.kind for e in since(Event, events_before)]
    told = [(m.kind, m.to) for m in since(OutgoingMail, mails_before)]
    assert (case.mail, case.to(world)) in told
