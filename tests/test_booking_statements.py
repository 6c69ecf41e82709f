"""A booking POST is one write transaction of a few statements, however big the building."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from pole.db import db
from tests.factories import make_booking, make_resource
from tests.test_booking_views import DAYTIME, TUESDAY, at, booked, form_for, pole  # noqa: F401


class Tally:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    @property
    def plain_begins(self) -> int:
        """Read transactions begun on SQLite (a write begins with BEGIN IMMEDIATE)."""
        return self.statements.count("BEGIN")


@contextmanager
def tally() -> Iterator[Tally]:
    seen = Tally()

    def statement(_conn, _cursor, text, *_args) -> None:  # noqa: ANN001
        seen.statements.append(text)

    def commit(_conn) -> None:  # noqa: ANN001
        seen.commits += 1

    sa.event.listen(db.engine, "before_cursor_execute", statement)
    sa.event.listen(db.engine, "commit", commit)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statement)
        sa.event.remove(db.engine, "commit", commit)


def post_booking(client, data: dict) -> tuple[int, Tally]:  # noqa: ANN001
    data = {**data, "csrf_token": client.csrf_token()}
    db.session.commit()  # requests share the test's session: start the POST afresh
    with tally() as seen:
        status = client.post("/reservations", data=data, csrf=False).status_code
    return status, seen


def test_a_booking_post_is_one_write_transaction_of_a_few_statements(
    backend,  # noqa: ANN001
    client,  # noqa: ANN001
    login_as,  # noqa: ANN001
    pole,  # noqa: F811
):
    login_as(pole.marie)
    status, seen = post_booking(client, form_for(pole))
    assert status == 303 and len(booked()) == 1
    # The user, the site, the resources offered and the organisations, the resource locked,
    # its bookings and closures, the insert and its event's insert, SQLite's BEGIN
    # IMMEDIATE: 11 (15 before, in three transactions on SQLite; 10 and 13 on PostgreSQL).
    # The organisation's quotas add one query, and on PostgreSQL the organisation's row lock
    # another: 12 on both.
    # On PostgreSQL the reads of the form end in their own transaction before the write.
    assert (seen.commits, seen.plain_begins) == (1 if backend == "sqlite" else 2, 0)
    # 12, and the author's mail (pole/notifications): its INSERT, and the booking's change
    # stamp read back for the .ics SEQUENCE: 14. The author's choice for that kind of mail
    # (each time, digest, never), the end of her wishes on the waiting list that this
    # booking covers (one UPDATE), and the booking read back once more at the commit, by the
    # waiting list: 17.
    assert len(seen.statements) <= 17


def test_a_refused_post_checks_the_other_rooms_in_one_query_however_many(
    backend,  # noqa: ANN001
    client,  # noqa: ANN001
    login_as,  # noqa: ANN001
    pole,  # noqa: F811
):
    login_as(pole.marie)
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), hours=2)
    clash = form_for(pole, start="11:00", end="12:00")
    status, few = post_booking(client, clash)
    assert status == 422
    for n in range(4):
        room = make_resource(pole.hall.site, name=f"Salle {n}", opening_hours=DAYTIME)
        make_booking(room, pole.restos, at(TUESDAY, "11:00"))
    status, more = post_booking(client, clash)
    assert status == 422
    # 14 statements on SQLite, with the quotas of the form's "where you stand" line (before:
    # 23, and two more for each other room).
    assert len(more.statements) == len(few.statements) <= 14
    assert (more.commits, more.plain_begins) == (1 if backend == "sqlite" else 2, 0)
