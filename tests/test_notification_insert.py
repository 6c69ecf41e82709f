"""A transaction's notification mails are one INSERT … SELECT, as each person chose (issue 11):
nobody's choice is asked before it, only when someone chose the digest or nothing. Both
databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

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
from tests.test_events import MONDAY, NOW, at, book, closure_over_monday, fresh_world
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
