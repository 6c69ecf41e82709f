"""The waiting list ("Prévenez-moi si ça se libère"): when a taken time frees up, the first
person waiting who can book it is told (mail in the real SMTP capture, a notice), then the
next one if she does not book in time; a wish ends when booked, withdrawn or past. Both
databases, several workers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, write_transaction
from pole.events.models import Event
from pole.events.services import notices_for
from pole.outbox.models import OutgoingMail
from pole.timeutil import local_to_utc
from pole.waitlist import rules, services
from pole.waitlist.models import Wish
from tests.concurrency import race
from tests.factories import make_organisation, make_resource, make_user, page_text
from tests.test_events import MONDAY, at, book, fresh_world
from tests.test_permanences import NOW

PARIS = ZoneInfo("Europe/Paris")
DELAY = rules.ANSWER_DELAY


@pytest.fixture()
def world(app):
    world = fresh_world(OutgoingMail, Event)
    world.taken = book(world, user=world.bob)  # Monday 10:00-12:00, by Bob for the Restos
    db.session.execute(sa.delete(OutgoingMail))
    db.session.commit()
    return world


def wait(world, user, organisation, start=None, end=None, now=NOW) -> Wish:
    return services.ask(
        user, world.room.id, organisation.id, start or at(MONDAY, 10), end or at(MONDAY, 12),
        now=now,
    )  # fmt: skip


def waitlist_mails() -> list[OutgoingMail]:
    db.session.rollback()
    query = sa.select(OutgoingMail).where(OutgoingMail.kind == "notify_waitlist")
    return list(db.session.scalars(query.order_by(OutgoingMail.id)))


def reload(wish: Wish) -> Wish:
    db.session.rollback()
    return db.session.get(Wish, wish.id)


# The rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "open_wishes", "codes"),
    [
        (NOW + timedelta(hours=1), NOW + timedelta(hours=2), 0, []),
        (NOW + timedelta(hours=2), NOW + timedelta(hours=1), 0, ["order"]),
        (NOW - timedelta(hours=2), NOW, 0, ["past"]),
        (NOW - timedelta(hours=1), NOW + timedelta(hours=1), 0, []),  # still going on
        (NOW + timedelta(hours=1), NOW + timedelta(hours=2), 10, ["too_many"]),
    ],
    ids=["to-come", "reversed", "past", "going-on", "ten-already"],
)
def test_who_may_wait_for_what(start, end, open_wishes, codes):
    assert [r.code for r in rules.check_wish(start, end, open_wishes, NOW)] == codes


@pytest.mark.parametrize(
    ("freed", "meets"),
    [((8, 10), False), ((9, 11), True), ((10, 12), True), ((12, 13), False), ((11, 13), True)],
    ids=["touching-before", "overlapping-start", "equal", "touching-after", "overlapping-end"],
)
def test_a_freed_time_meets_a_wish_when_they_overlap(freed, meets):
    base = NOW.replace(hour=0)
    start, end = base + timedelta(hours=10), base + timedelta(hours=12)
    a, b = (base + timedelta(hours=h) for h in freed)
    assert rules.meets(start, end, a, b) is meets


# Both databases -------------------------------------------------------------------------------


def test_a_cancellation_tells_the_first_person_waiting_by_mail_and_notice(world, mailbox):
    alice_wish = wait(world, world.alice, world.restos)
    chloe_wish = wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    bookings.cancel_booking(world.taken.id, world.bob, now=NOW + timedelta(hours=1))
    [row] = waitlist_mails()
    assert row.to == world.alice.email  # she asked first; Chloé waits her turn
    body = mailbox.to(world.alice.email).get_content()
    assert world.room.name in body and "Restos du cœur" in body
    assert reload(alice_wish).told_at == NOW + timedelta(hours=1)
    assert reload(chloe_wish).told_at is None
    seen_by_alice = notices_for(world.alice, NOW + timedelta(hours=2))
    assert any("Liste d'attente" in line and world.room.name in line for line in seen_by_alice)
    seen_by_bob = notices_for(world.bob, NOW + timedelta(hours=2))
    assert not any("Liste d'attente" in line for line in seen_by_bob)


def test_the_next_person_is_told_when_the_first_does_not_book_in_time(world, mailbox):
    alice_wish = wait(world, world.alice, world.restos)
    chloe_wish = wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    told = NOW + timedelta(hours=1)
    bookings.cancel_booking(world.taken.id, world.bob, now=told)
    assert services.advance(told + DELAY - timedelta(minutes=1)) == 0  # she still has time
    assert services.advance(told + DELAY) == 1
    assert reload(alice_wish).end_reason == "lapsed"
    assert reload(chloe_wish).told_at == told + DELAY
    assert [m.to for m in waitlist_mails()] == [world.alice.email, world.chloe.email]
    assert "s'est libéré" in mailbox.to(world.chloe.email).get_content()


def test_booking_it_ends_her_wish_and_nobody_else_is_told(world):
    alice_wish = wait(world, world.alice, world.restos)
    wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    told = NOW + timedelta(hours=1)
    bookings.cancel_booking(world.taken.id, world.bob, now=told)
    book(world, user=world.alice)
    assert reload(alice_wish).end_reason == "booked"
    services.advance(told + DELAY + timedelta(minutes=1))
    assert [m.to for m in waitlist_mails()] == [world.alice.email]  # Chloé: still taken


def test_withdrawing_after_being_told_tells_the_next_one(world):
    alice_wish = wait(world, world.alice, world.restos)
    wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    bookings.cancel_booking(world.taken.id, world.bob, now=NOW + timedelta(hours=1))
    services.withdraw(alice_wish.id, world.alice, now=NOW + timedelta(hours=1, minutes=5))
    assert reload(alice_wish).end_reason == "withdrawn"
    assert [m.to for m in waitlist_mails()] == [world.alice.email, world.chloe.email]


def test_a_shortened_booking_frees_the_end_it_gave_up(world):
    wish = wait(world, world.alice, world.restos, at(MONDAY, 11), at(MONDAY, 12))
    other = wait(world, world.chloe, world.epicerie, at(MONDAY, 10), at(MONDAY, 11))
    changes = bookings.BookingChanges(start=at(MONDAY, 10), end=at(MONDAY, 11))
    bookings.edit_booking(world.taken.id, changes, world.bob, now=NOW + timedelta(hours=1))
    assert reload(wish).told_at is not None
    assert reload(other).told_at is None  # 10:00-11:00 is still Bob's


def test_a_wish_ends_when_its_time_has_passed(world):
    wish = wait(world, world.alice, world.restos)
    assert services.advance(at(MONDAY, 12)) == 1
    assert reload(wish).end_reason == "passed"
    assert services.open_wishes(world.alice, NOW) == []


def test_a_refused_cancellation_tells_nobody(world):
    wait(world, world.alice, world.restos)
    with pytest.raises(bookings.BookingRefused):
        bookings.cancel_booking(world.taken.id, world.chloe, now=NOW)  # not hers to cancel
    assert waitlist_mails() == []
    told = sa.select(sa.func.count(Event.id)).where(Event.kind == "waitlist.told")
    assert db.session.scalar(told) == 0


def test_one_cannot_wait_for_another_associations_booking_or_a_past_time(world):
    with pytest.raises(services.WishRefused):
        wait(world, world.alice, world.epicerie)  # not her association
    with pytest.raises(services.WishRefused):
        wait(world, world.alice, world.restos, NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    first, again = wait(world, world.alice, world.restos), wait(world, world.alice, world.restos)
    assert first.id == again.id  # a double tap is one wish


def test_two_workers_tell_the_next_person_once(app, world):
    wait(world, world.alice, world.restos)
    wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    told = NOW + timedelta(hours=1)
    bookings.cancel_booking(world.taken.id, world.bob, now=told)
    outcomes = race(app, lambda _: services.advance(told + DELAY), (), n=4)
    assert sum(outcomes) == 1
    assert [m.to for m in waitlist_mails()] == [world.alice.email, world.chloe.email]


# The screens (the real clock) -----------------------------------------------------------------


@pytest.fixture()
def taken(app):
    """A room taken in three days at 10:00-12:00 by Bob's association; Awa's wants it."""
    room = make_resource(name="Salle polyvalente")
    restos, epicerie = make_organisation(name="Restos du cœur"), make_organisation(name="Épicerie")
    bob, awa = make_user(restos, name="Bob"), make_user(epicerie, name="Awa")
    day = datetime.now(PARIS).date() + timedelta(days=3)
    start, end = local_to_utc(day, time(10), PARIS), local_to_utc(day, time(12), PARIS)
    booking = bookings.create_booking(
        bookings.BookingData(room.id, restos.id, start, end, "Distribution"), bob
    )
    return {"room": room, "epicerie": epicerie, "bob": bob, "awa": awa, "day": day,
            "booking": booking, "start": start, "end": end}  # fmt: skip


def booking_form(t) -> dict:
    return {
        "resource_id": t["room"].id, "organisation_id": t["epicerie"].id, "title": "Atelier",
        "date": t["day"].isoformat(), "start": "10:00", "end": "12:00",
    }  # fmt: skip


def test_the_refusal_offers_to_wait_and_the_mail_opens_the_form_filled(
    app, client, login_as, taken, mailbox
):
    login_as(taken["awa"])
    refused = client.post("/reservations", data=booking_form(taken))
    assert refused.status_code == 422
    assert "Prévenez-moi si ça se libère" in page_text(refused)
    asked = client.post("/attente", data={
        "resource_id": taken["room"].id, "organisation_id": taken["epicerie"].id,
        "start": taken["start"].isoformat(), "end": taken["end"].isoformat(), "quantity": 1,
    })  # fmt: skip
    assert asked.status_code == 303
    listed = client.get("/attente")
    assert "Salle polyvalente" in page_text(listed) and "en attente" in page_text(listed)
    login_as(taken["bob"])
    with app.test_request_context():  # the link is built as in a request
        bookings.cancel_booking(taken["booking"].id, taken["bob"])
    link = mailbox.link_to(taken["awa"].email)
    login_as(taken["awa"])
    form = client.get(link.split("localhost", 1)[-1])
    assert form.status_code == 200
    text = page_text(form)
    assert 'value="10:00"' in form.text and 'value="12:00"' in form.text
    assert "Épicerie" in text


def test_a_refusal_for_another_reason_offers_no_waiting(client, login_as, taken):
    login_as(taken["awa"])
    data = booking_form(taken) | {"start": "12:00", "end": "11:00"}
    refused = client.post("/reservations", data=data)
    assert refused.status_code == 422
    assert "Prévenez-moi" not in page_text(refused)


def test_bad_wishes_are_refused_and_another_persons_wish_is_not_found(client, login_as, taken):
    login_as(taken["awa"])
    bad = client.post("/attente", data={"resource_id": taken["room"].id, "organisation_id": 1,
                                        "start": "hier", "end": "demain"})  # fmt: skip
    assert bad.status_code == 422 and "illisible" in page_text(bad)
    wish = services.ask(taken["awa"], taken["room"].id, taken["epicerie"].id,
                        taken["start"], taken["end"])  # fmt: skip
    login_as(taken["bob"])
    assert client.post(f"/attente/{wish.id}/retirer").status_code == 404
    login_as(taken["awa"])
    withdrawn = client.post(f"/attente/{wish.id}/retirer")
    assert withdrawn.status_code == 303
    assert reload(wish).end_reason == "withdrawn"
    assert "Vous n'attendez aucun créneau" in page_text(client.get("/attente"))


def test_a_cancellation_rolled_back_tells_nobody_and_leaves_the_wish_waiting(world):
    wish = wait(world, world.alice, world.restos)
    with pytest.raises(RuntimeError), write_transaction(now=NOW):
        bookings.cancel_booking(world.taken.id, world.bob, now=NOW)
        raise RuntimeError("the request fails after the cancellation")
    assert reload(wish).told_at is None
    assert waitlist_mails() == []
    assert db.session.get(Booking, world.taken.id).status == "confirmed"


def test_with_htmx_the_button_becomes_the_answer(client, login_as, taken):
    login_as(taken["awa"])
    fields = {
        "resource_id": taken["room"].id, "organisation_id": taken["epicerie"].id,
        "start": taken["start"].isoformat(), "end": taken["end"].isoformat(),
    }  # fmt: skip
    answer = client.post("/attente", data=fields, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert 'id="waitlist-ask"' in answer.text
    assert "<html" not in answer.text and "C'est noté" in answer.text
    past = fields | {"end": (taken["start"] - timedelta(days=10)).isoformat()}
    refused = client.post("/attente", data=past, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "La fin doit venir après le début." in refused.text


def test_the_worker_runs_the_waiting_list_every_minute(app, world):
    from pole import worker

    [job] = [j for j in worker.timed_jobs() if j.run == worker.advance_waitlist]
    assert job.every == worker.MINUTE
    wish = wait(world, world.alice, world.restos)
    with app.app_context():
        worker.advance_waitlist(app)  # the real clock: the wish's time, in 2031, is to come
    assert reload(wish).ended_at is None
