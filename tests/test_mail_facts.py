"""A mail rendered at delivery from the facts frozen in its outbox row says, byte for byte,
what the mail rendered in the request said before (tests/data/mail_golden.json was written
by the code that rendered in the request), and what the change was, not what came after."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.db import db, write_transaction
from pole.events import closures
from pole.outbox import Delivery, deliver_due, queue_facts, queue_mail
from pole.outbox.models import OutgoingMail
from tests.conftest import deliver_mail
from tests.factories import make_user
from tests.test_booking_statements import tally
from tests.test_events import MONDAY, at, book, closure_over_monday, fresh_world, weekly_series
from tests.test_permanences import NOW

GOLDEN = Path(__file__).parent / "data" / "mail_golden.json"
FIELDS = ("to", "kind", "subject", "text_body", "html_body", "ics", "ics_method", "unsubscribe_url")
# What differs from one database to the other, for the same facts: the rows' ids.
_IDS = [
    (re.compile(r"\r\n "), ""),  # unfolded: a longer id folds a line elsewhere
    (re.compile(r"/reservations/\d+"), "/reservations/N"),
    (re.compile(r"UID:[\w-]+"), "UID:X"),  # made of the booking's id and creation time
    (re.compile(r"\d{8}T\d{6}Z"), "STAMP"),  # the rows' creation times: the test's clock
    (re.compile(r"desabonnement/[\w.-]+"), "desabonnement/TOKEN"),
    (re.compile(r"personne\d+@"), "personneN@"),
]


def _normal(value: str | None) -> str | None:
    for pattern, replacement in _IDS:
        value = pattern.sub(replacement, value) if value else value
    return value


def _last_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutgoingMail.id), 0)))


def _mails(ids: tuple[int, int]) -> list[dict]:
    """The mails of one change, as the rows keep them once sent."""
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.id.between(ids[0] + 1, ids[1]))
    )
    return sorted(({f: _normal(getattr(r, f)) for f in FIELDS} for r in rows), key=str)


def scenarios(world) -> dict[str, tuple[int, int]]:
    """Each change that writes a mail, and the ids of the mails it wrote: one after the
    other, the same booking made, moved, cancelled, before any of its mails is sent."""
    world.room.practical_info = "Clé au secrétariat, alarme 1234."
    db.session.commit()
    out = {}

    def change(name: str, act) -> None:  # noqa: ANN001
        start = _last_id()
        act()
        out[name] = (start, _last_id())

    booking = book(world)
    out["made"] = (0, _last_id())
    moved = bookings.BookingChanges(start=at(MONDAY, 13), end=at(MONDAY, 15))
    change("moved", lambda: bookings.edit_booking(booking.id, moved, world.bob, now=NOW))
    change("cancelled", lambda: bookings.cancel_booking(booking.id, world.bob, now=NOW))
    world.room.requires_approval = True
    db.session.commit()
    change("series", lambda: weekly_series(world, MONDAY, weeks=3))
    world.room.requires_approval = False
    db.session.commit()
    book(world, at(MONDAY, 16), at(MONDAY, 17), world.chloe, world.epicerie)
    closure = closure_over_monday(world)
    settle = closures.settle_closure
    change("closure", lambda: settle(closure.id, world.manager, True, "Fuite d'eau", NOW))
    change("appointment", lambda: world.book(world.alice, world.restos, world.at(14)))
    return out


@pytest.fixture()
def world(app):
    return fresh_world(OutgoingMail)


def test_mails_rendered_from_facts_are_todays_mails(app, world, mailbox):
    make_user(world.restos, role="coordinator", name="Colette Coordination")
    ids = scenarios(world)
    db.session.rollback()
    rendered = sa.select(sa.func.count()).where(OutgoingMail.text_body.is_not(None))
    assert db.session.scalar(rendered) == 0  # the requests wrote facts, no text
    written = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail))
    assert deliver_mail(app) == written
    got = {name: _mails(span) for name, span in ids.items()}
    # Sent after the booking was moved and cancelled, the first mail still tells it made.
    [made] = got["made"]
    assert made["subject"] == "Réservation confirmée : Bureau partagé 1"
    assert "de 10:00 à 12:00" in made["text_body"] and made["ics_method"] == "REQUEST"
    assert got == json.loads(GOLDEN.read_text())


def test_facts_no_renderer_knows_wait_for_a_retry_and_the_others_still_leave(app, mailbox):
    with write_transaction(now=NOW):
        lost = queue_facts("a@exemple.fr", {"mail": "unknown"}, kind="notify_made", now=NOW)
        queue_mail("b@exemple.fr", "Sujet", "Texte déjà écrit.\n", kind="test", now=NOW)
    assert deliver_due(now=NOW) == Delivery(claimed=2, sent=1, retried=1, failed=0)
    row = db.session.get(OutgoingMail, lost.id, populate_existing=True)
    assert (row.status, row.text_body, row.attempts) == ("queued", None, 1)
    assert row.last_error.startswith("KeyError")
    assert mailbox.to("b@exemple.fr")["Subject"] == "Sujet"


def test_a_closure_asks_everyones_choice_in_one_query(world):
    make_user(world.restos, role="coordinator", name="Colette Coordination")
    book(world)
    book(world, at(MONDAY, 13), at(MONDAY, 14), world.bob)
    book(world, at(MONDAY, 14), at(MONDAY, 16), world.chloe, world.epicerie)
    closure = closure_over_monday(world)
    start = _last_id()
    with tally() as seen:
        closures.settle_closure(closure.id, world.manager, True, "Fuite d'eau", NOW)
    assert _last_id() - start == 4  # Alice, Bob, the coordinator; Chloé
    assert sum("FROM notification_choice" in s for s in seen.statements) == 1
