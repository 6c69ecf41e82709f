"""Who is told what (issue 11): each change writes its mails in its own transaction, grouped
(a series, a closure's bookings for one association), never to the person who made the
change; they arrive in a real SMTP capture with the right .ics METHOD. Both databases."""

from __future__ import annotations

import icalendar
import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.db import db
from pole.events import closures
from pole.notifications import rules
from pole.notifications.rules import Happening as H
from pole.outbox.models import OutgoingMail
from tests.factories import make_user
from tests.test_events import MONDAY, at, book, closure_over_monday, fresh_world, weekly_series
from tests.test_permanences import NOW

# The pure rules -------------------------------------------------------------------------------

ALICE, BOB, NADIA, CLAIRE = 1, 2, 3, 4


def topics(*happenings: H) -> list[tuple[str, list[int], set[int]]]:
    return [(x.topic, x.booking_ids, x.to_users) for x in rules.plan(list(happenings))]


@pytest.mark.parametrize(
    ("happenings", "expected"),
    [
        # A booking made: its author; a request also the managers (no booking list twice).
        ([H("booking.created", ALICE, ALICE, 1, "confirmed", 10)], [("made", [10], {ALICE})]),
        (
            [H("booking.created", ALICE, ALICE, 1, "pending", 10)],
            [("made", [10], {ALICE}), ("waiting", [10], set())],
        ),
        # A series: one letter for all its occurrences, one request for the managers.
        (
            [H("booking.created", ALICE, ALICE, 1, "pending", b, "series", 7) for b in (10, 11)],
            [("made", [10, 11], {ALICE}), ("waiting", [10, 11], set())],
        ),
        # A change by someone else tells the author (and coordinators); one's own, nobody.
        ([H("booking.moved", BOB, ALICE, 1, "confirmed", 10)], [("changed", [10], {ALICE})]),
        ([H("booking.cancelled", ALICE, ALICE, 1, "cancelled", 10)], []),
        # Moved, a request waits again: the managers decide on its new times.
        ([H("booking.moved", ALICE, ALICE, 1, "pending", 10)], [("waiting", [10], set())]),
        (
            [H("booking.moved", BOB, ALICE, 1, "pending", 10)],
            [("waiting", [10], set()), ("changed", [10], {ALICE})],
        ),
        ([H("booking.edited", ALICE, ALICE, 1, "confirmed", 10)], []),
        # A closure: one letter per association, whatever the number of its bookings.
        (
            [
                H("booking.cancelled", NADIA, ALICE, 1, "cancelled", 10, "closure", 5),
                H("booking.cancelled", NADIA, BOB, 1, "cancelled", 11, "closure", 5),
                H("booking.cancelled", NADIA, BOB, 2, "cancelled", 12, "closure", 5),
            ],
            [("closure", [10, 11], {ALICE, BOB}), ("closure", [12], {BOB})],
        ),
        # An appointment booked: the social worker; cancelled by her: her own mail tells.
        (
            [H("appointment.booked", ALICE, ALICE, 1, "booked", None, "appointment", 3, CLAIRE)],
            [("appointment", [], {CLAIRE})],
        ),
        ([H("appointment.cancelled", CLAIRE, ALICE, 1, "", None, "appointment", 3, CLAIRE)], []),
        ([H("booking.approved", NADIA, ALICE, 1, "confirmed", 10)], []),  # its own mail
    ],
)
def test_who_is_told(happenings, expected):
    assert topics(*happenings) == expected


def test_the_actor_is_never_told_of_a_change_but_the_author_of_what_they_made_is():
    moved = rules.plan([H("booking.moved", BOB, ALICE, 1, "confirmed", 10)])[0]
    assert rules.recipients(moved, {BOB, NADIA}, set(), {ALICE, BOB, NADIA}) == {ALICE, NADIA}
    made = rules.plan([H("booking.created", ALICE, ALICE, 1, "confirmed", 10)])[0]
    assert rules.recipients(made, {NADIA}, set(), {ALICE, NADIA}) == {ALICE}
    assert rules.recipients(made, set(), set(), set()) == set()  # nobody inactive


# Both databases, the real SMTP capture --------------------------------------------------------


def queued() -> list[OutgoingMail]:
    db.session.rollback()  # what was committed
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def method(mail) -> str:  # noqa: ANN001
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    return str(icalendar.Calendar.from_ical(part.get_content())["METHOD"])


@pytest.fixture()
def world(app):
    """The permanences' world, the mails of its own setup wiped: tests see theirs."""
    return fresh_world(OutgoingMail)


@pytest.fixture()
def coordinator(world):
    return make_user(world.restos, role="coordinator", name="Colette Coordination")


def test_a_booking_made_tells_its_author_with_the_rooms_practical_information(world, mailbox):
    world.room.practical_info = "Clé au secrétariat, alarme 1234."
    db.session.commit()
    booking = book(world)
    [row] = queued()
    assert (row.to, row.kind, row.ics_method) == (world.alice.email, "notify_made", "REQUEST")
    mail = mailbox.to(world.alice.email)
    body = mail.get_content()
    assert "Clé au secrétariat, alarme 1234." in body and world.room.name in body
    assert booking.title in body and method(mail) == "REQUEST"


def test_a_refused_booking_writes_no_mail(world):
    book(world)
    before = len(queued())
    with pytest.raises(bookings.BookingRefused):
        book(world, user=world.bob)  # the same hours: taken
    assert len(queued()) == before


def test_a_series_is_one_mail_and_one_request_for_the_managers(world, mailbox):
    world.room.requires_approval = True
    db.session.commit()
    weekly_series(world, MONDAY, weeks=4)
    rows = queued()
    assert sorted((r.to, r.kind) for r in rows) == sorted(
        [(world.alice.email, "notify_made"), (world.manager.email, "notify_waiting")]
    )
    request = mailbox.to(world.manager.email).get_content()
    assert request.count("Atelier cuisine") == 4  # its four dates, listed once each
    assert method(mailbox.to(world.alice.email)) == "REQUEST"


def test_a_change_by_someone_else_tells_the_author_and_coordinators(
    world,
    coordinator,
    mailbox,
):
    booking = book(world)
    bookings.cancel_booking(booking.id, world.alice, now=NOW)  # her own: nobody told
    assert [r.kind for r in queued()] == ["notify_made"]
    other = book(world, at(MONDAY, 14), at(MONDAY, 16))
    start = len(queued())
    bookings.cancel_booking(other.id, world.bob, now=NOW)
    rows = queued()[start:]
    assert sorted(r.to for r in rows) == sorted([world.alice.email, coordinator.email])
    assert {r.ics_method for r in rows} == {"CANCEL"}
    mail = mailbox.to(coordinator.email)
    assert "annulée par Bob Restos" in mail.get_content() and method(mail) == "CANCEL"


@pytest.mark.parametrize("cancel", [True, False], ids=["cancel", "keep"])
def test_a_closure_tells_each_association_once(world, coordinator, mailbox, cancel):
    book(world)
    book(world, at(MONDAY, 13), at(MONDAY, 14), world.bob)
    book(world, at(MONDAY, 14), at(MONDAY, 16), world.chloe, world.epicerie)
    closure = closure_over_monday(world)
    start = len(queued())
    closures.settle_closure(closure.id, world.manager, cancel, "Fuite d'eau", NOW)
    rows = queued()[start:]
    assert {r.kind for r in rows} == {"notify_closure"}
    people = [world.alice, world.bob, coordinator, world.chloe]
    assert sorted(r.to for r in rows) == sorted(p.email for p in people)
    body = mailbox.to(coordinator.email).get_content()
    assert "Fuite d'eau" in body and body.count("Distribution") == 2
    assert method(mailbox.to(world.chloe.email)) == ("CANCEL" if cancel else "REQUEST")


def test_an_appointment_booked_tells_the_social_worker(world, coordinator, mailbox):
    start = len(queued())
    world.book(world.alice, world.restos, world.at(14))
    rows = queued()[start:]
    assert sorted(r.to for r in rows) == sorted([world.social_worker.email, coordinator.email])
    assert "Rendez-vous réservé" in mailbox.to(world.social_worker.email)["Subject"]


def test_a_rolled_back_change_leaves_no_mail(world):
    from pole.db import write_transaction

    start = len(queued())
    with pytest.raises(RuntimeError), write_transaction(now=NOW):
        bookings.create_booking(
            bookings.BookingData(
                world.room.id, world.restos.id, at(MONDAY, 10), at(MONDAY, 11), "X"
            ),
            world.alice,
            NOW,
        )
        raise RuntimeError("the request fails after the booking")
    assert len(queued()) == start
