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
        self.isolation: list[str] = []  # each statement's connection's isolation level, if set
        self.commits = 0

    @property
    def plain_begins(self) -> int:
        """Read transactions begun on SQLite (a write begins with BEGIN IMMEDIATE)."""
        return self.statements.count("BEGIN")

    @property
    def queries(self) -> list[str]:
        """The statements that read or write (SQLite's BEGINs left aside)."""
        return [s for s in self.statements if not s.startswith("BEGIN")]

    def under_write_lock(self) -> list[str]:
        """On SQLite, the statements of the one transaction that holds the write lock."""
        assert self.statements.count("BEGIN IMMEDIATE") == 1
        after = self.statements[self.statements.index("BEGIN IMMEDIATE") + 1 :]
        return after[: after.index("BEGIN")] if "BEGIN" in after else after


@contextmanager
def tally() -> Iterator[Tally]:
    seen = Tally()

    def statement(conn, _cursor, text, *_args) -> None:  # noqa: ANN001
        seen.statements.append(text)
        seen.isolation.append(conn.get_execution_options().get("isolation_level", "default"))

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
    # The reads of the form (the user, the site, the resources offered and the
    # organisations) end in their own transaction, on both databases, before the write: on
    # SQLite the write lock (BEGIN IMMEDIATE) is held only for the service's transaction.
    assert (seen.commits, seen.plain_begins) == (2, 1 if backend == "sqlite" else 0)
    # 12, and the author's mail (pole/notifications): its INSERT, and the author's choice for
    # that kind of mail (each time, digest, never), the end of her wishes on the waiting list
    # that this booking covers (one UPDATE): 15 (the booking is not read back: its row stays
    # in the session until the commit). Before: 17 statements, all under the lock. Then 13: the
    # sites come with their rooms, and the bookings around with the closures.
    assert len(seen.queries) <= 13
    if backend == "sqlite":
        # Under the lock: the resource, its bookings and closures, the quotas, the booking's,
        # event's and mail's INSERTs, the author's choice, the waiting list's UPDATE (the
        # bookings and closures are one statement).
        assert len(seen.under_write_lock()) <= 8


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
    # 12 queries, with the quotas of the form's "where you stand" line (before: 13, and 22
    # before that, and two more for each other room); on SQLite, 15 with its three BEGINs. Then
    # 9 (12): the sites come with their rooms, the bookings around with the closures (under
    # the lock and in the suggestions). Then 6 (9): the other rooms come in the suggestions'
    # statement.
    assert len(more.queries) == len(few.queries) <= 6
    assert len(more.statements) == len(few.statements) <= 9
    # The reads of the form, the check under the lock, then the suggestions and the page
    # without it: on SQLite the lock is held for the resource, its bookings and closures.
    assert more.commits == 2
    if backend == "sqlite":
        assert len(more.under_write_lock()) <= 2


def test_on_postgresql_only_the_write_is_a_transaction(
    backend,  # noqa: ANN001
    client,  # noqa: ANN001
    login_as,  # noqa: ANN001
    pole,  # noqa: F811
):
    """The reads before the lock and the suggestions after it cost no BEGIN nor COMMIT."""
    if backend != "postgresql":
        return  # SQLite keeps its read transactions: no round trip to save
    login_as(pole.marie)
    status, booking = post_booking(client, form_for(pole))
    assert status == 303
    in_transaction = [
        s for s, i in zip(booking.statements, booking.isolation, strict=True) if i != "AUTOCOMMIT"
    ]
    # From the resource's row lock to the waiting list's UPDATE, one transaction; only
    # SELECTs before it.
    assert "FOR UPDATE" in in_transaction[0]
    assert in_transaction == booking.statements[-len(in_transaction) :]
    assert all(s.startswith("SELECT") for s in booking.statements[: -len(in_transaction)])
    make_booking(pole.hall, pole.restos, at(TUESDAY, "14:00"), hours=2)
    status, refused = post_booking(client, form_for(pole, start="15:00", end="16:00"))
    assert status == 422
    in_transaction = [
        s for s, i in zip(refused.statements, refused.isolation, strict=True) if i != "AUTOCOMMIT"
    ]
    # The resource locked, then its bookings and closures in one statement; the rest reads alone.
    assert len(in_transaction) == 2 and "FOR UPDATE" in in_transaction[0]
    assert all(s.startswith("SELECT") for s in refused.statements)
