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
from pole.db import db
from pole.events import closures
from pole.outbox.models import OutgoingMail
from tests.factories import make_user
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


def _mails(since: int) -> list[dict]:
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.id > since).order_by(OutgoingMail.id)
    )
    return sorted(({f: _normal(getattr(r, f)) for f in FIELDS} for r in rows), key=str)


def _last_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutgoingMail.id), 0)))


def scenarios(world, coordinator) -> dict[str, list[dict]]:
    """Each change that writes a mail, and the mails it wrote."""
    world.room.practical_info = "Clé au secrétariat, alarme 1234."
    db.session.commit()
    out = {}
    start = _last_id()
    booking = book(world)
    out["made"] = _mails(start)
    start = _last_id()
    changes = bookings.BookingChanges(start=at(MONDAY, 13), end=at(MONDAY, 15))
    bookings.edit_booking(booking.id, changes, world.bob, now=NOW)
    out["moved"] = _mails(start)
    start = _last_id()
    bookings.cancel_booking(booking.id, world.bob, now=NOW)
    out["cancelled"] = _mails(start)
    start = _last_id()
    world.room.requires_approval = True
    db.session.commit()
    weekly_series(world, MONDAY, weeks=3)
    out["series"] = _mails(start)
    world.room.requires_approval = False
    db.session.commit()
    book(world, at(MONDAY, 16), at(MONDAY, 17), world.chloe, world.epicerie)
    closure = closure_over_monday(world)
    start = _last_id()
    closures.settle_closure(closure.id, world.manager, True, "Fuite d'eau", NOW)
    out["closure"] = _mails(start)
    start = _last_id()
    world.book(world.alice, world.restos, world.at(14))
    out["appointment"] = _mails(start)
    return out


@pytest.fixture()
def world(app):
    return fresh_world(OutgoingMail)


def test_mails_rendered_from_facts_are_todays_mails(world):
    coordinator = make_user(world.restos, role="coordinator", name="Colette Coordination")
    got = scenarios(world, coordinator)
    if not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True))
    assert got == json.loads(GOLDEN.read_text())
