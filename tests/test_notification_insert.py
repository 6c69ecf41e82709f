"""A transaction's notification mails are one INSERT … SELECT, as each person chose (issue 11):
nobody's choice is asked before it, only when someone chose the digest or nothing. Both
databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, write_transaction
from pole.events import closures, record
from pole.events.models import Event
from pole.notifications import listeners, rules
from pole.notifications import mails as mails_module
from pole.notifications.mails import write_letters
from pole.notifications.models import DigestItem, NotificationChoice
from pole.notifications.telling import told_each
from pole.outbox import queue_facts, queue_facts_where
from pole.outbox.models import OutgoingMail
from tests.factories import make_user
from tests.test_booking_statements import tally
from tests.test_events import (
    MONDAY,
    NOW,
    at,
    book,
    closure_over_monday,
    fresh_world,
    weekly_series,
)
from tests.test_notification_choices import choose, outbox


@pytest.fixture()
def world(app):
    return fresh_world(OutgoingMail, Event)


def digest_items() -> list[tuple[int, str]]:
    db.session.rollback()
    query = sa.select(DigestItem.user_id, DigestItem.kind).order_by(DigestItem.id)
    return [tuple(row) for row in db.session.execute(query)]


def booking_statements(world, monkeypatch, start: int, *, mail: bool) -> list[str]:  # noqa: ANN001
    """The statements of one booking's write transaction, with its mail or without."""
    if not mail:
        without = [(p, f) for p, f in record._listeners if f is not listeners.note]
        monkeypatch.setattr(record, "_listeners", without)
    db.session.commit()
    with tally() as seen:
        book(world, at(MONDAY, start), at(MONDAY, start + 1))
    monkeypatch.undo()
    return [s for s in seen.statements if not s.startswith("BEGIN")]


def test_a_booking_writes_its_mail_in_one_statement_asking_nobodys_choice(world, monkeypatch):
    quiet = booking_statements(world, monkeypatch, 8, mail=False)
    told = booking_statements(world, monkeypatch, 10, mail=True)
    [added] = [s for s in told if s not in quiet]
    if db.engine.dialect.name == "postgresql":
        # The event's INSERT rides on the mail's (a data-modifying WITH): no round trip more.
        [event_insert] = [s for s in quiet if s not in told]
        assert event_insert.startswith("INSERT INTO event")
        both = " ".join(added.split())
        assert both.startswith("WITH written_along AS (INSERT INTO event ")
        assert ") INSERT INTO outgoing_mail " in both and "SELECT" in both
        assert len(told) == len(quiet)
    else:
        assert added.startswith("INSERT INTO outgoing_mail") and "SELECT" in added
        assert len(told) == len(quiet) + 1
    assert not any(s.startswith("SELECT") and "notification_choice" in s for s in told)
    [mail] = outbox()
    assert (mail.to, mail.kind, digest_items()) == (world.alice.email, "notify_made", [])


def stored(mail_id: int) -> dict:
    """A row as the database holds it, the facts as their stored text."""
    table = OutgoingMail.__table__
    columns = [c for c in table.c if c.name != "id"] + [sa.cast(table.c.facts, sa.Text)]
    row = db.session.execute(sa.select(*columns).where(table.c.id == mail_id)).one()
    return row._asdict()


def test_the_row_is_the_one_queue_facts_writes_its_facts_the_same_json(world):
    booking = book(world)
    [mail] = outbox()
    assert (mail.kind, mail.status, mail.ics_method, mail.created_at, mail.due_at) == (
        "notify_made", "queued", "REQUEST", NOW, NOW,
    )  # fmt: skip
    assert mail.facts["to"] == {"id": world.alice.id, "name": world.alice.name,
                                "email": world.alice.email}  # fmt: skip
    assert [b["id"] for b in mail.facts["bookings"]] == [booking.id]
    with write_transaction(now=NOW):
        twin = queue_facts(mail.to, mail.facts, kind=mail.kind, ics_method=mail.ics_method)
    db.session.rollback()
    assert stored(mail.id) == stored(twin.id)  # the facts' text too, on both databases


@pytest.mark.parametrize(
    ("chosen", "mails", "items"),
    [
        (None, 1, 0),
        ("each", 1, 0),
        ("digest", 0, 1),
        ("never", 0, 0),
    ],
    ids=["default", "each", "digest", "never"],
)
def test_the_author_is_told_of_a_booking_as_they_chose(world, chosen, mails, items):
    if chosen:
        choose(world.alice, made=chosen)
    book(world)
    assert (len(outbox()), len(digest_items())) == (mails, items)


def stored_choice(user, kind: str, choice: str) -> None:  # noqa: ANN001
    """A row the page would never write (an old link, a kind's choices narrowed since)."""
    db.session.merge(NotificationChoice(user_id=user.id, kind=kind, choice=choice))
    db.session.commit()


@pytest.mark.parametrize(
    ("stored", "mails", "items"),
    [
        (None, 1, 0),
        ("never", 1, 0),  # not a choice of this kind: someone waits, the managers are told
        ("digest", 0, 1),
    ],
    ids=["default", "never-is-not-allowed", "digest"],
)
def test_a_stored_choice_the_kind_does_not_allow_is_its_default(world, stored, mails, items):
    world.room.requires_approval = True
    db.session.commit()
    if stored:
        stored_choice(world.manager, rules.WAITING, stored)
    book(world)
    to_manager = [m for m in outbox() if m.to == world.manager.email]
    assert [m.kind for m in to_manager] == ["notify_waiting"] * mails
    assert digest_items().count((world.manager.id, rules.WAITING)) == items


def test_several_recipients_with_mixed_choices_in_one_transaction(world):
    colette = make_user(world.restos, role="coordinator", name="Colette Coordination")
    book(world)  # Alice's
    book(world, at(MONDAY, 13), at(MONDAY, 14), world.bob)
    choose(world.bob, closure="digest")
    choose(colette, closure="never")
    db.session.execute(sa.delete(OutgoingMail))
    db.session.commit()
    closure = closure_over_monday(world)
    with tally() as seen:
        closures.settle_closure(closure.id, world.manager, True, "Fuite d'eau", NOW)
    inserts = [s for s in seen.statements if s.startswith("INSERT INTO outgoing_mail")]
    assert len(inserts) == 1 and "UNION ALL" in inserts[0]
    # Alice by mail (the default), Bob in his digest, Colette nothing.
    assert [(m.to, m.kind) for m in outbox()] == [(world.alice.email, "notify_closure")]
    assert digest_items() == [(world.bob.id, "closure")]


def test_a_rolled_back_change_leaves_no_mail(world):
    from pole.bookings import services as bookings

    data = bookings.BookingData(world.room.id, world.restos.id, at(MONDAY, 10), at(MONDAY, 11), "X")
    written = sa.select(sa.func.count()).select_from(OutgoingMail)
    with pytest.raises(RuntimeError), write_transaction(now=NOW):
        booking = bookings.create_booking(data, world.alice, NOW)
        letter = rules.Letter(
            rules.MADE, ("booking", booking.id), world.alice.id, world.restos.id,
            ["booking.created"], [booking.id], to_users={world.alice.id},
        )  # fmt: skip
        write_letters([letter])
        assert db.session.scalar(written) == 1  # written, in the change's transaction
        raise RuntimeError("the request fails after the booking")
    db.session.rollback()
    assert outbox() == [] and digest_items() == []


def test_a_choice_changed_between_the_insert_and_the_read_still_tells_each_person_once(
    world, monkeypatch
):
    # The INSERT … SELECT reads the choices in its own snapshot; those it did not write are
    # read again. Here the INSERT sees everyone as not told each time (as if each had chosen
    # the digest a moment before, and changed it back since): each still gets one mail, as
    # the choice read again says, and no digest item.
    colette = make_user(world.restos, role="coordinator", name="Colette Coordination")
    book(world)
    book(world, at(MONDAY, 13), at(MONDAY, 14), world.bob)
    choose(world.bob, closure="digest")
    db.session.execute(sa.delete(OutgoingMail))
    db.session.commit()
    monkeypatch.setattr(mails_module, "told_each", lambda kind, whom: sa.false())
    closures.settle_closure(closure_over_monday(world).id, world.manager, True, "Fuite", NOW)
    told = sorted((m.to, m.kind) for m in outbox())
    assert told == sorted(
        [(world.alice.email, "notify_closure"), (colette.email, "notify_closure")]
    )
    assert digest_items() == [(world.bob.id, "closure")]


def test_a_union_of_mails_stores_each_row_as_queue_facts_would(world):
    # The INSERT is compiled once per kind of database and run with the values its types
    # would bind (pole/outbox/queue.py): its rows must be the ORM's, JSON text included.
    mails = [
        (world.alice.email, {"mail": "m", "info": "Clés à l'accueil ✓", "n": [1, None]},
         "notify_made", "REQUEST", world.alice.id),
        (world.bob.email, {"mail": "m", "topic": "closure"}, "notify_closure", None,
         world.bob.id),
        (world.manager.email, {"mail": "m", "é": {"x": 1.5}}, "notify_waiting", None,
         world.manager.id),
    ]  # fmt: skip
    with tally() as seen, write_transaction(now=NOW):
        written = queue_facts_where(mails, told_each)
    [insert] = [s for s in seen.statements if s.startswith("INSERT INTO outgoing_mail")]
    assert "UNION ALL" in insert
    assert sorted(written.elements()) == sorted((to, kind) for to, _, kind, _, _ in mails)
    ids = [m.id for m in outbox()]
    with write_transaction(now=NOW):
        twins = [
            queue_facts(to, facts, kind=kind, ics_method=ics) for to, facts, kind, ics, _ in mails
        ]
    db.session.rollback()
    assert [stored(i) for i in ids] == [stored(t.id) for t in twins]


def _event_writes(seen) -> list[str]:  # noqa: ANN001
    """The statements that wrote events: their first words, blanks made single."""
    return [" ".join(s.split())[:45] for s in seen.statements if "INSERT INTO event" in s]


def _rows(events: list[Event]) -> list[tuple]:
    return [
        (e.kind, e.actor_id, e.organisation_id, e.resource_id, e.booking_id, e.subject_type,
         e.subject_id, e.at, e.data)
        for e in events
    ]  # fmt: skip


@pytest.mark.parametrize("along", [mails_module.EVENTS_ALONG, 3], ids=["along", "too-many"])
def test_a_series_events_ride_on_its_mail_in_the_order_they_were_recorded(
    world, monkeypatch, along
):
    """On PostgreSQL the mail's statement writes the transaction's events (a data-modifying
    WITH), unless there are too many; on SQLite the session does. Either way the same rows,
    ids in the recorded order."""
    monkeypatch.setattr(mails_module, "EVENTS_ALONG", along)
    db.session.commit()
    before = max((e.id for e in db.session.scalars(sa.select(Event))), default=0)
    with tally() as seen:
        series = weekly_series(world, MONDAY)
    written = list(db.session.scalars(sa.select(Event).where(Event.id > before).order_by(Event.id)))
    occurrences = sorted(series.bookings, key=lambda b: b.start)
    # record_new_series records each occurrence, soonest first, then the series.
    assert _rows(written) == [
        ("booking.created", world.alice.id, world.restos.id, world.room.id, b.id, "series",
         series.id, NOW, {"after": {"start": b.start.isoformat(), "end": b.end.isoformat(),
                                    "status": "confirmed", "title": "Atelier cuisine",
                                    "quantity": 1}})
        for b in occurrences
    ] + [("series.created", world.alice.id, world.restos.id, world.room.id, None, "series",
          series.id, NOW, written[-1].data)]  # fmt: skip
    assert written[-1].after["weekdays"] == [MONDAY.weekday()]
    [mail] = outbox()
    assert mail.kind == "notify_made" and len(mail.facts["bookings"]) == 4
    if db.engine.dialect.name == "postgresql" and along >= 5:
        assert _event_writes(seen) == ["WITH written_along AS (INSERT INTO event (at,"]
    else:
        assert all(s.startswith("INSERT INTO event") for s in _event_writes(seen))


def test_events_are_written_when_the_mail_is_not(world):
    """Her choice is "never": the mail's statement adds no mail, the event is written all the
    same. She moves her own booking: no letter at all, the session writes the event."""
    choose(world.alice, made="never")
    booking = book(world)
    assert outbox() == []
    assert [
        e.kind for e in db.session.scalars(sa.select(Event).filter_by(booking_id=booking.id))
    ] == ["booking.created"]
    with tally() as seen:
        bookings.edit_booking(
            booking.id, bookings.BookingChanges(start=at(MONDAY, 14), end=at(MONDAY, 16)),
            world.alice, now=NOW,
        )  # fmt: skip
    assert outbox() == []
    moved = db.session.scalars(
        sa.select(Event).filter_by(booking_id=booking.id, kind="booking.moved")
    )
    assert [(e.actor_id, e.before["start"], e.after["start"]) for e in moved] == [
        (world.alice.id, at(MONDAY, 10).isoformat(), at(MONDAY, 14).isoformat())
    ]
    assert [s[:24] for s in _event_writes(seen)] == ["INSERT INTO event (at, k"]


def test_a_rolled_back_change_leaves_neither_its_events_nor_its_mail(world, monkeypatch):
    """The events taken out of the session for the mail's statement roll back with it."""
    from pole.outbox import kick

    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(Event.id)))
    inside = []

    def fail_after_the_mail(session) -> None:  # noqa: ANN001
        # Right after the mail's statement: both are written in the transaction...
        mails = session.scalar(sa.select(sa.func.count(OutgoingMail.id)))
        inside.append((mails, session.scalar(sa.select(sa.func.count(Event.id))) - count))
        raise RuntimeError("the change fails after its mail was written")

    monkeypatch.setattr(kick, "after_commit", fail_after_the_mail)
    with pytest.raises(RuntimeError, match="after its mail"):
        weekly_series(world, MONDAY)
    monkeypatch.undo()
    assert inside == [(1, 5)]
    # ...and neither outlives the rollback.
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == count
    assert outbox() == []
    titled = sa.select(sa.func.count(Booking.id)).filter_by(title="Atelier cuisine")
    assert db.session.scalar(titled) == 0
