"""A calendar app's poll (a 304) is a few statements, whatever the feed holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole.db import db
from tests.factories import make_booking
from tests.test_booking_statements import tally
from tests.test_feeds import _fresh_feed_state, at, room_feed, today  # noqa: F401


def open_transactions(seen: list[bool]):  # noqa: ANN201
    """A listener noting, for each PostgreSQL statement, whether a transaction was open."""

    def note(conn, _cursor, _text, *_args) -> None:  # noqa: ANN001
        seen.append(conn.connection.dbapi_connection.info.transaction_status != 0)

    return note


@pytest.mark.parametrize("bookings", [1, 30], ids=["one booking", "thirty bookings"])
def test_a_304_takes_its_rate_limit_and_reads_the_link_with_its_version(
    client,
    room_feed,  # noqa: F811  (the fixture imported above)
    backend,
    bookings,
):
    for n in range(bookings - 1):
        make_booking(room_feed.room, room_feed.restos, at(today() + timedelta(days=3 + n), 9))
    etag = client.get(room_feed.url).headers["ETag"]
    db.session.commit()  # the request begins afresh, as a calendar app's does
    in_transaction: list[bool] = []
    listener = open_transactions(in_transaction)
    if backend == "postgresql":
        sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with tally() as seen:
            response = client.get(room_feed.url, headers={"If-None-Match": etag})
    finally:
        if backend == "postgresql":
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 304
    if backend == "sqlite":
        # One write transaction: the take, then the link with its version under the same lock.
        assert seen.statements[0] == "BEGIN IMMEDIATE"
        assert len(seen.queries) == 2
        assert seen.plain_begins == 0
        assert seen.commits == 1
    else:
        # The link with its take and its version: one statement (a CTE), a transaction of its
        # own, so no BEGIN nor COMMIT goes to the server.
        assert len(seen.queries) == 1
        assert in_transaction == [False]
    assert seen.queries[0].lstrip().startswith(("INSERT", "WITH"))
    assert all(s.lstrip().startswith("SELECT") for s in seen.queries[1:])


def test_the_links_postgresql_statement_is_short_enough_for_psycopg_to_cache():
    """psycopg converts a query longer than 4,096 bytes again at every execution."""
    from psycopg import _queries
    from sqlalchemy.dialects.postgresql import psycopg

    from pole.feeds import links

    compiled = str(links._FIND_LINK_TAKING.compile(dialect=psycopg.dialect()))
    assert len(compiled.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
