"""Every change that matters writes its event in its own transaction, on both databases; a
refused or rolled-back change writes none; no event ever holds a beneficiary's data."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.bookings.recurrence import Recurrence
from pole.db import db
from pole.events import closures
from pole.events.models import Event
from pole.events.record import listen, listeners_for, record
from pole.feeds import links
from pole.organisations import services as organisations
from pole.organisations.models import Membership
from pole.permanences import services as permanences
from pole.resources import services as resources
from pole.timeutil import local_to_utc
from tests.factories import make_invitation, make_user
from tests.test_permanences import NOTE, NOW, REF, THURSDAY, build_world

PARIS = ZoneInfo("Europe/Paris")
MONDAY = THURSDAY + timedelta(days=4)  # the permanence's room is free on Mondays


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


def events(kind: str | None = None) -> list[Event]:
    db.session.rollback()  # what was committed, not what the session still holds
    query = db.select(Event).order_by(Event.id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list(db.session.scalars(query))


def kinds() -> list[str]:
    return [e.kind for e in events()]


@pytest.fixture()
def world(app):
    """The permanences' world, its own setup's events (publishing...) wiped: tests see theirs."""
    return fresh_world(Event)


def fresh_world(*models):  # noqa: ANN002, ANN201
    """The permanences' world, the rows its own setup wrote in `models` wiped."""
    world = build_world(NOW, THURSDAY)
    for model in models:
        db.session.execute(sa.delete(model))
    db.session.commit()
    return world


def book(world, start=None, end=None, user=None, organisation=None, **fields) -> Booking:
    data = bookings.BookingData(
        world.room.id,
        (organisation or world.restos).id,
        start or at(MONDAY, 10),
        end or at(MONDAY, 12),
        fields.pop("title", "Distribution"),
        **fields,
    )
    return bookings.create_booking(data, user or world.alice, now=NOW)


def after_setup(world) -> int:
    """The id of the last event the world's setup wrote: what follows is the test's."""
    return max((e.id for e in events()), default=0)


def new_kinds(since: int) -> list[str]:
    return [e.kind for e in events() if e.id > since]


# Bookings -------------------------------------------------------------------------------------


def test_a_booking_records_who_made_it_for_whom_and_when(world):
    booking = book(world)
    [event] = events("booking.created")
    assert (event.actor_id, event.organisation_id, event.resource_id, event.booking_id) == (
        world.alice.id,
        world.restos.id,
        world.room.id,
        booking.id,
    )
    assert event.at == NOW
    assert event.after == {
        "start": at(MONDAY, 10).isoformat(),
        "end": at(MONDAY, 12).isoformat(),
        "status": "confirmed",
        "title": "Distribution",
        "quantity": 1,
    }


def test_a_move_records_before_and_after_and_an_edit_is_told_apart(world):
    booking = book(world)
    bookings.edit_booking(
        booking.id, bookings.BookingChanges(start=at(MONDAY, 14), end=at(MONDAY, 16)), world.bob,
        now=NOW + timedelta(hours=1),
    )  # fmt: skip
    bookings.edit_booking(booking.id, bookings.BookingChanges(title="Collecte"), world.bob, now=NOW)
    bookings.edit_booking(booking.id, bookings.BookingChanges(title="Collecte"), world.bob, now=NOW)
    moved, edited = events("booking.moved"), events("booking.edited")
    assert len(moved) == 1 and len(edited) == 1  # the same title twice changes nothing
    assert moved[0].before["start"] == at(MONDAY, 10).isoformat()
    assert moved[0].after["start"] == at(MONDAY, 14).isoformat()
    assert moved[0].actor_id == world.bob.id
    assert (edited[0].before["title"], edited[0].after["title"]) == ("Distribution", "Collecte")


def test_a_cancellation_and_the_managers_decisions_are_recorded(app, world, mailbox):
    world.room.requires_approval = True
    db.session.commit()
    first = book(world)
    second = book(world, at(MONDAY, 14), at(MONDAY, 15))
    with app.test_request_context():  # the decision mails carry a link
        bookings.approve_booking(first.id, world.manager, now=NOW)
        bookings.reject_booking(second.id, world.manager, "La salle est prêtée ce jour-là", NOW)
    bookings.cancel_booking(first.id, world.bob, now=NOW)
    assert kinds()[-5:] == [
        "booking.created",
        "booking.created",
        "booking.approved",
        "booking.refused",
        "booking.cancelled",
    ]
    refused = events("booking.refused")[0]
    assert refused.after["message"] == "La salle est prêtée ce jour-là"
    assert (refused.before["status"], refused.after["status"]) == ("pending", "rejected")
    assert events("booking.cancelled")[0].actor_id == world.bob.id


def weekly_series(world, first_day: date, weeks: int = 4):
    recurrence = Recurrence(
        first_day, time(9), time(11), "weekly", weekdays=frozenset({first_day.weekday()}),
        until=first_day + timedelta(weeks=weeks - 1),
    )  # fmt: skip
    data = bookings.SeriesData(world.room.id, world.restos.id, "Atelier cuisine", recurrence)
    return bookings.create_series(data, world.alice, now=NOW)


def test_a_series_is_recorded_once_and_each_occurrence_keeps_its_own_history(world):
    before = after_setup(world)
    series = weekly_series(world, MONDAY)
    assert sorted(new_kinds(before)) == ["booking.created"] * 4 + ["series.created"]
    [made] = events("series.created")
    assert (made.subject_type, made.subject_id) == ("series", series.id)
    occurrences = [e for e in events("booking.created") if e.id > before]
    assert {e.subject_id for e in occurrences} == {series.id}

    third = series.bookings[2]
    before = after_setup(world)
    bookings.edit_booking(
        third.id, bookings.BookingChanges(start=third.start + timedelta(hours=3),
        end=third.end + timedelta(hours=3)), world.bob, scope="following", now=NOW,
    )  # fmt: skip
    assert sorted(new_kinds(before)) == ["booking.moved", "booking.moved", "series.moved"]
    before = after_setup(world)
    bookings.cancel_booking(series.bookings[0].id, world.bob, scope="all", now=NOW)
    assert sorted(new_kinds(before)) == ["booking.cancelled"] * 4 + ["series.cut"]
    assert events("series.cut")[0].after["count"] == 4


def test_a_refused_booking_writes_no_event(world):
    book(world)
    before = after_setup(world)
    with pytest.raises(bookings.BookingRefused):
        book(world, at(MONDAY, 11), at(MONDAY, 13), user=world.chloe)
    with pytest.raises(bookings.BookingRefused):
        bookings.cancel_booking(events("booking.created")[-1].booking_id, world.chloe, now=NOW)
    assert new_kinds(before) == []


def test_a_change_that_rolls_back_takes_its_event_with_it(world):
    """A listener that fails (a mail that cannot be queued) undoes the change and its event."""

    @listen("booking.created")
    def fail(event: Event) -> None:
        raise RuntimeError("the outbox is full")

    try:
        with pytest.raises(RuntimeError):
            book(world)
    finally:
        from pole.events import record as module

        module._listeners.remove(("booking.created", fail))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
        Booking.resource_id == world.room.id, Booking.title == "Distribution")) == 0  # fmt: skip
    assert events("booking.created") == []


def test_listeners_run_in_the_same_transaction_for_the_kinds_they_match(world):
    seen: list[tuple[str, bool]] = []

    @listen("booking.*")
    def note(event: Event) -> None:
        seen.append((event.kind, event in db.session.new))

    from pole.events import record as module

    try:
        assert note in listeners_for("booking.cancelled")
        assert note not in listeners_for("closure.added")
        booking = book(world)
        bookings.cancel_booking(booking.id, world.alice, now=NOW)
    finally:
        module._listeners.remove(("booking.*", note))
    assert seen == [("booking.created", True), ("booking.cancelled", True)]


# Closures ------------------------------------------------------------------------------------


def closure_over_monday(world):
    data = resources.ClosureData(
        world.room.site_id, None, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0), "Noël"
    )
    return resources.create_closure(data, world.manager.id)


def test_a_closure_added_and_removed_is_recorded(world):
    closure = closure_over_monday(world)
    resources.delete_closure(closure, world.manager.id)
    added, removed = events("closure.added"), events("closure.removed")
    assert added[0].after["reason"] == "Noël" and removed[0].before["reason"] == "Noël"
    assert added[0].subject_id == removed[0].subject_id == closure.id  # outlives the row


@pytest.mark.parametrize("cancel", [True, False], ids=["cancel", "keep"])
def test_the_manager_cancels_or_keeps_the_bookings_a_closure_hits_in_one_go(world, cancel):
    first = book(world)
    second = book(world, at(MONDAY, 14), at(MONDAY, 16), world.chloe, world.epicerie)
    closure = closure_over_monday(world)
    count = closures.settle_closure(closure.id, world.manager, cancel, "Bâtiment fermé", NOW)
    assert count == 2
    kind = "booking.cancelled" if cancel else "closure.booking_kept"
    told = events(kind)
    assert {e.organisation_id for e in told} == {world.restos.id, world.epicerie.id}
    assert {e.booking_id for e in told} == {first.id, second.id}
    assert {e.after["message"] for e in told} == {"Bâtiment fermé"}
    statuses = {b.status for b in db.session.scalars(db.select(Booking).where(
        Booking.id.in_([first.id, second.id])))}  # fmt: skip
    assert statuses == ({"cancelled"} if cancel else {"confirmed"})
    # Decided once: the second answer finds nothing left to decide.
    assert closures.settle_closure(closure.id, world.manager, cancel, "", NOW) == 0


def test_only_the_manager_settles_a_closure_and_a_refusal_writes_nothing(world):
    book(world)
    closure = closure_over_monday(world)
    before = after_setup(world)
    with pytest.raises(bookings.BookingRefused):
        closures.settle_closure(closure.id, world.alice, True, "", NOW)
    with pytest.raises(bookings.BookingRefused):
        closures.settle_closure(closure.id, world.manager, True, "x" * 301, NOW)
    assert new_kinds(before) == []


# Permanences and appointments ----------------------------------------------------------------


def test_publishing_a_permanence_is_recorded_with_its_room_series(app):
    world = build_world(NOW, THURSDAY)
    [published] = events("permanence.published")
    assert (published.actor_id, published.organisation_id) == (
        world.social_worker.id,
        world.ccas.id,
    )
    assert published.subject_id == world.permanence.id
    assert len(events("series.created")) == 1


def test_permanence_and_appointment_changes_are_recorded_without_beneficiary_data(world):
    sw = world.social_worker
    first = world.book(world.alice, world.restos, world.at(14))
    second = world.book(world.bob, world.restos, world.at(15))
    permanences.mark_appointment(first.id, "seen", sw, NOW)
    permanences.cancel_appointment(second.id, world.bob, NOW)
    third = world.book(world.chloe, world.epicerie, world.at(14, weeks=1))
    permanences.cancel_date(world.permanence.id, THURSDAY + timedelta(weeks=1), sw, now=NOW)
    assert [e.kind for e in events() if e.kind.startswith(("appointment.", "permanence."))] == [
        "appointment.booked",
        "appointment.booked",
        "appointment.marked",
        "appointment.cancelled",
        "appointment.booked",
        "appointment.cancelled",
        "permanence.date_cancelled",
    ]
    cancelled = [e for e in events("appointment.cancelled") if e.subject_id == third.id][0]
    assert (cancelled.actor_id, cancelled.organisation_id) == (sw.id, world.epicerie.id)
    every_row = json.dumps([e.data for e in events()], ensure_ascii=False)
    assert REF not in every_row and NOTE not in every_row


def test_a_pattern_change_is_recorded(world):
    data = permanences.PatternData(
        weekdays=frozenset({THURSDAY.weekday()}), start_time=time(9), end_time=time(12),
        slot_minutes=30, first_day=THURSDAY + timedelta(weeks=2),
        until=THURSDAY + timedelta(weeks=6), pause_start=None, pause_end=None,
    )  # fmt: skip
    permanences.change_pattern(world.permanence.id, data, world.social_worker, now=NOW)
    [changed] = events("permanence.changed")
    assert changed.after["from_day"] == (THURSDAY + timedelta(weeks=2)).isoformat()


def test_record_refuses_a_note_or_a_beneficiary_reference(app):
    with pytest.raises(ValueError, match="never holds"):
        record("appointment.booked", actor=None, now=NOW, after={"beneficiary_ref": REF})
    with pytest.raises(ValueError, match="never holds"):
        record("booking.edited", actor=None, now=NOW, before={"note": NOTE})
    db.session.rollback()


# Members and feed links ----------------------------------------------------------------------


def test_memberships_and_feed_links_are_recorded(world):
    from pole.auth import services as auth

    coordinator = make_user(world.restos, role="coordinator")
    invitation = make_invitation(world.restos, email="nouvelle@exemple.fr")
    newcomer = auth.accept_invitation(invitation, "Nouvelle", "un-mot-de-passe-long")
    membership = db.session.scalar(db.select(Membership).filter_by(user_id=newcomer.id))
    organisations.set_role(membership, "coordinator", coordinator)
    organisations.remove_member(membership, coordinator)
    links.issue_link("organisation", world.restos.id, coordinator, now=NOW)
    links.revoke_link("organisation", world.restos.id, now=NOW, by=coordinator)
    assert [e.kind for e in events() if e.kind.startswith(("membership.", "feed_link."))] == [
        "membership.added",
        "membership.changed",
        "membership.removed",
        "feed_link.created",
        "feed_link.revoked",
    ]
    changed = events("membership.changed")[0]
    assert (changed.before, changed.after["role"]) == ({"role": "volunteer"}, "coordinator")
    assert {e.organisation_id for e in events() if e.kind.startswith("feed_link.")} == {
        world.restos.id
    }


def test_a_booking_post_adds_one_insert_and_no_select(world, app):
    """The event is an INSERT in the booking's transaction: no query to find what it needs."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    book(world)  # warm up: the first booking loads what the session caches
    db.session.expire_all()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        booking = book(world, at(MONDAY, 14), at(MONDAY, 15))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    writes = [s.split("(")[0].strip() for s in statements if "INSERT INTO" in s]
    first = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO booking"))
    if db.engine.dialect.name == "postgresql":
        # ...and the author's mail (pole/notifications): on PostgreSQL one statement writes
        # the event and the mail (a data-modifying WITH), right after the booking's INSERT.
        assert writes == ["INSERT INTO booking", "WITH written_along AS"]
        both = " ".join(statements[first + 1].split())
        assert both.startswith("WITH written_along AS (INSERT INTO event ")
        assert ") INSERT INTO outgoing_mail " in both
    else:
        # ...and the author's mail (pole/notifications): one more INSERT, into the outbox.
        assert writes == ["INSERT INTO booking", "INSERT INTO event", "INSERT INTO outgoing_mail"]
        # The event's INSERT follows the booking's with nothing read in between.
        assert statements[first + 1].startswith("INSERT INTO event")
    # Written all the same: the booking's event, and the author's mail.
    written = db.session.scalars(db.select(Event).filter_by(booking_id=booking.id)).all()
    assert [(e.kind, e.actor_id, e.after["status"]) for e in written] == [
        ("booking.created", world.alice.id, "confirmed")
    ]


@pytest.mark.concurrency
@pytest.mark.parametrize("cancel", [True, False], ids=["cancel", "keep"])
def test_managers_answering_a_closure_at_once_tell_each_association_once(app, world, cancel):
    from pole.auth.models import User
    from tests.concurrency import race

    book(world)
    book(world, at(MONDAY, 14), at(MONDAY, 16), world.chloe, world.epicerie)
    closure_id, manager_id = closure_over_monday(world).id, world.manager.id
    db.session.commit()

    def answer(i: int) -> int:
        manager = db.session.get(User, manager_id)
        return closures.settle_closure(closure_id, manager, cancel, f"Réponse {i}", NOW)

    outcomes = race(app, answer, refused=(bookings.BookingRefused,), n=8)
    # One answer settles both bookings; the others find nothing left (or wait, then nothing).
    assert sorted(outcomes) == [0] * 7 + [2], outcomes
    kind = "booking.cancelled" if cancel else "closure.booking_kept"
    told = events(kind)
    assert len(told) == 2 and len({e.after["message"] for e in told}) == 1
